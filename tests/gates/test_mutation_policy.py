"""``[tool.quality_gates.mutation]``: defaults, validation with key paths, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from quality_gates.errors import InputError
from quality_gates.gates import GATES
from quality_gates.policy import MutationPolicy, apply_overrides, load_policy


def load_section(repo: Path, overrides: dict[str, object]) -> MutationPolicy:
    """The mutation section as ``quality-gates`` reads it, command-line overrides applied."""
    return apply_overrides(load_policy(repo, tuple(GATES)), overrides).mutation


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_defaults_without_a_section(tmp_path: Path) -> None:
    assert load_section(tmp_path, {}) == MutationPolicy()
    policy = load_section(write(tmp_path, "[tool.quality_gates]\n"), {})
    assert policy.threshold == 100.0
    assert policy.scope == "changed"
    assert policy.judge == "change"
    assert policy.survivors == "mutation-survivors.toml"


def test_a_full_section(tmp_path: Path) -> None:
    repo = write(
        tmp_path,
        """
[tool.quality_gates.mutation]
paths = ["authsvc/security/**"]
exclude = ["authsvc/migrations/**"]
tests = ["tests/unit"]
pytest_args = "-p no:randomly --timeout 60"
threshold = 85
survivors = "accepted.toml"
time_budget_seconds = 900
seed = 7
python = "/opt/mutation-venv/bin/python"
max_children = 1
scope = "all"
judge = "function"
""",
    )
    policy = load_section(repo, {})
    assert policy.paths == ("authsvc/security/**",)
    assert policy.exclude == ("authsvc/migrations/**",)
    assert policy.pytest_args == ("-p", "no:randomly", "--timeout", "60")
    assert policy.threshold == 85.0
    assert policy.time_budget_seconds == 900.0
    assert (policy.seed, policy.max_children, policy.scope) == (7, 1, "all")
    assert policy.judge == "function"


def test_every_problem_is_listed_with_its_key_path(tmp_path: Path) -> None:
    repo = write(
        tmp_path,
        """
[tool.quality_gates.mutation]
paths = ["/abs/**"]
tests = "unbalanced 'quote"
threshold = 101
time_budget_seconds = 0
seed = -1
max_children = true
scope = "some"
judge = "lines"
treshold = 90
""",
    )
    with pytest.raises(InputError) as caught:
        load_section(repo, {})
    problems = caught.value.problems
    assert len(problems) == 9
    assert any(p.startswith("tool.quality_gates.mutation.paths: [0]") for p in problems)
    assert "tool.quality_gates.mutation.threshold: expected a number 0-100, got 101" in problems
    assert any(
        p.startswith("tool.quality_gates.mutation.tests: expected arguments") for p in problems
    )
    assert (
        'tool.quality_gates.mutation.treshold: unknown key (did you mean "threshold"?)' in problems
    )
    assert any(p.startswith("tool.quality_gates.mutation.scope: expected one of") for p in problems)
    assert (
        'tool.quality_gates.mutation.judge: expected one of "change", "function", got "lines"'
        in problems
    )


def test_overrides_from_the_command_line(tmp_path: Path) -> None:
    repo = write(tmp_path, "[tool.quality_gates.mutation]\nthreshold = 80\n")
    policy = load_section(
        repo,
        {"mutation.scope": "all", "mutation.threshold": None, "coverage.fail_under": 10.0},
    )
    assert (policy.scope, policy.threshold) == ("all", 80.0)


def test_an_invalid_pyproject_or_section_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="invalid TOML"):
        load_section(write(tmp_path, "[tool.quality_gates\n"), {})
    with pytest.raises(InputError, match="mutation: expected a table"):
        load_section(write(tmp_path, "[tool.quality_gates]\nmutation = 3\n"), {})
