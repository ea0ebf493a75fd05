"""Policy loading, validation, layering, and the path patterns it uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from quality_gates.errors import InputError
from quality_gates.globs import glob_problem, matches
from quality_gates.policy import Policy, apply_overrides, load_policy, parse_policy

GATES = ("checklist", "coverage", "api-compat", "incidents")


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("authsvc/security/tokens.py", "authsvc/**", True),
        ("authsvc/migrations/versions/001.py", "authsvc/migrations/**", True),
        ("authsvc/security/tokens.py", "**/*token*", True),
        ("tokens.py", "**/*token*", True),
        ("docs/passwords.md", "*password*", True),  # no slash: any depth
        ("authsvc/app.py", "authsvc/*.py", True),
        ("authsvc/routes/app.py", "authsvc/*.py", False),  # * stops at /
        ("authsvcx/app.py", "authsvc/**", False),
        ("tests/unit/test_a.py", "**/test_*.py", True),
        ("a/b.py", "a/[bc].py", True),
        ("a/d.py", "a/[!bc].py", True),
    ],
)
def test_globs(path: str, pattern: str, expected: bool) -> None:
    assert matches(path, (pattern,)) is expected


def test_glob_problems() -> None:
    assert glob_problem("/abs/**") is not None
    assert glob_problem("a\\b") is not None
    assert glob_problem(" ") is not None
    assert glob_problem("ok/**") is None


def test_no_pyproject_gives_defaults(tmp_path: Path) -> None:
    policy = load_policy(tmp_path, GATES)
    assert policy == Policy(gates=GATES)
    assert policy.coverage.critical_changed_fail_under == 100.0
    assert policy.baseline == "origin/main"


def test_full_policy_parses(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        """
[tool.quality_gates]
baseline = "origin/develop"
critical_paths = ["authsvc/**"]
gates = ["coverage"]

[[tool.quality_gates.checklist.items]]
id = "threat-model"
text = "Threat model"

[tool.quality_gates.coverage]
fail_under = 85
omit = ["bench/**"]

[tool.quality_gates.api_compat]
command = "python -m app openapi"
""",
        encoding="utf-8",
    )
    policy = load_policy(tmp_path, GATES)
    assert policy.baseline == "origin/develop"
    assert policy.gates == ("coverage",)
    assert policy.checklist.items[0].id == "threat-model"
    assert policy.checklist.items[0].paths == ()
    assert policy.coverage.fail_under == 85.0
    assert policy.coverage.omit == ("bench/**",)
    assert policy.api_compat.command == ("python", "-m", "app", "openapi")


def test_layering_defaults_policy_flags() -> None:
    policy = parse_policy({"coverage": {"fail_under": 70}}, GATES)
    assert policy.coverage.fail_under == 70.0  # policy over default
    layered = apply_overrides(policy, {"coverage.fail_under": 95.0, "baseline": None})
    assert layered.coverage.fail_under == 95.0  # flag over policy
    assert layered.baseline == "origin/main"  # None = flag not given
    assert layered.coverage.changed_fail_under == 80.0


def test_problems_carry_key_paths() -> None:
    with pytest.raises(InputError) as info:
        parse_policy(
            {
                "critical_path": ["x/**"],
                "coverage": {"fail_under": "high"},
                "checklist": {"items": [{"id": "a", "text": "A"}, {"id": "a", "text": "B"}]},
                "incidents": "postmortems",
            },
            GATES,
        )
    assert info.value.problems == (
        'tool.quality_gates.critical_path: unknown key (did you mean "critical_paths"?)',
        "tool.quality_gates.checklist.items[1].id: duplicate id 'a'",
        'tool.quality_gates.coverage.fail_under: expected a number 0-100, got "high"',
        'tool.quality_gates.incidents: expected a table, got "postmortems"',
    )


def test_bool_is_not_a_number() -> None:
    with pytest.raises(InputError, match="expected a number 0-100, got true"):
        parse_policy({"coverage": {"fail_under": True}}, GATES)
