"""The mutation gate on real repositories, with the real mutmut 3.

The project: ``calc/ops.py`` with ``add`` (its one mutant is killed) and ``cap``, whose test never
probes the boundary (two of its three mutants survive: ``>`` -> ``>=`` and ``100`` -> ``101``).
Each test that runs mutmut costs a few seconds; pytest's plugin autoloading is off in mutmut's
runs (the project's tests need no plugin), which halves that.
"""

from __future__ import annotations

import io

import pytest

from quality_gates import cli
from quality_gates.errors import InputError
from quality_gates.gates import mutation as gate
from quality_gates.result import GateResult, exit_code
from quality_gates.runner import run_gate
from tests.gates._mutation import ENV, OPS, TESTS, load_context, policy, require_mutmut
from tests.gates._repo import GitRepo

ACCEPT = """\
[[survivor]]
function = "calc.ops.cap"
original = "if value > 100:"
mutated = "if value >= 100:"
reason = "equivalent: cap(100) is 100 either way"
expires = 2999-12-31

[[survivor]]
function = "calc.ops.cap"
original = "if value > 100:"
mutated = "if value > 101:"
reason = "a boundary test is on its way"
expires = {expires}
"""


@pytest.fixture
def python() -> str:
    return require_mutmut()


@pytest.fixture
def project(repo: GitRepo, python: str) -> GitRepo:
    """main: calc and its tests; feature: a one-line edit in each function."""
    repo.write(".gitignore", "__pycache__/\n")
    repo.write("pyproject.toml", policy(python))
    repo.write("calc/__init__.py", "")
    repo.write("calc/ops.py", OPS)
    repo.write("tests/test_ops.py", TESTS)
    repo.commit("base")
    repo.publish_main()
    edited = OPS.replace("return a + b", "return a + b  # sum").replace(
        "return value", "return value  # in range"
    )
    repo.write("calc/ops.py", edited)
    repo.commit("touch both functions")
    return repo


def judge(repo: GitRepo, **overrides: object) -> GateResult:
    return gate.run(load_context(repo.path, ENV, overrides))


def test_survivors_fail_the_gate_with_their_diff_and_location(project: GitRepo) -> None:
    # Whole functions: the survivors on lines the change left alone count too.
    result = judge(project, judge="function")
    assert result.status == "fail", result
    assert result.summary == "score 50.00% < 100% (2 killed, 2 survived, 0 timeout)"
    assert result.metrics["functions"] == 2
    assert "old_debt" not in result.metrics
    survivors = [f for f in result.findings if f.rule_id == "mutant-survived"]
    assert [(f.path, f.line, f.severity) for f in survivors] == [("calc/ops.py", 9, "error")] * 2
    assert "- if value > 100:\n        + if value >= 100:" in survivors[0].message
    assert result.tables[0].rows[1][3:] == ("if value > 100:", "if value > 101:")
    # The user's tree is left alone: mutmut worked in a copy.
    assert project.git("status", "--porcelain") == ""
    assert not (project.path / "mutants").exists()


def test_accepted_survivors_pass(project: GitRepo) -> None:
    project.write("mutation-survivors.toml", ACCEPT.format(expires="2999-12-31"))
    result = judge(project, judge="function")
    assert result.status == "pass", result
    assert result.summary == "score 100.00% >= 100% (2 killed, 0 survived, 0 timeout, 2 accepted)"
    assert [f.rule_id for f in result.findings] == ["survivor-accepted"] * 2


def test_an_expired_entry_fails(project: GitRepo) -> None:
    project.write("mutation-survivors.toml", ACCEPT.format(expires="2020-01-31"))
    result = judge(project, judge="function")
    assert result.status == "fail"
    rules = [f.rule_id for f in result.findings]
    assert rules.count("survivor-accepted") == 1
    assert rules.count("mutant-survived") == 1  # no longer accepted
    expired = next(f for f in result.findings if f.rule_id == "survivor-expired")
    assert expired.message == (
        "survivor[1] (calc.ops.cap) expired on 2020-01-31: kill the mutant or renew the entry"
    )
    assert expired.path == "mutation-survivors.toml"


def test_no_change_is_skipped(repo: GitRepo) -> None:
    repo.write("pyproject.toml", policy("/mutmut/is/not/needed"))
    repo.write("calc/ops.py", OPS)
    repo.commit("base")
    repo.publish_main()
    repo.write("README.md", "docs only\n")
    repo.commit("docs")
    result = judge(repo)
    assert result.status == "skipped"
    assert result.reason.startswith("no change to Python code in calc/** since merge base")


def test_a_function_no_test_calls_is_an_error(project: GitRepo) -> None:
    project.write("tests/test_ops.py", TESTS.split("\n\ndef test_cap", maxsplit=1)[0] + "\n")
    project.commit("lose the cap test")
    result = judge(project)
    assert result.status == "error", result
    assert result.reason.startswith("3 mutant(s) could not be judged (3 no tests)")
    no_tests = [f for f in result.findings if f.rule_id == "mutant-no-tests"]
    assert [(f.path, f.line) for f in no_tests] == [("calc/ops.py", 8)]
    assert exit_code([result]) == 2


def test_no_test_at_all_is_an_error(project: GitRepo) -> None:
    project.write("tests/test_ops.py", "def test_nothing():\n    assert True\n")
    project.commit("no real test")
    result = judge(project)
    assert result.status == "error"
    assert result.metrics["no_tests"] == 4


@pytest.mark.slow
def test_all_judges_every_function_without_a_change(repo: GitRepo, python: str) -> None:
    repo.write("pyproject.toml", policy(python))
    repo.write("calc/__init__.py", "")
    repo.write("calc/ops.py", OPS)
    repo.write("tests/test_ops.py", TESTS)
    repo.commit("base")
    result = judge(repo, scope="all", threshold=50.0)
    assert result.status == "pass", result
    assert result.metrics["mutants"] == 4


@pytest.mark.slow
def test_past_the_budget_a_seeded_sample_is_judged(project: GitRepo) -> None:
    many = (
        "\n\ndef spread(a, b):\n"
        + "".join(f"    a = a + {i} if b > {i} else a - {i}\n" for i in range(8))
        + "    return a\n"
    )
    project.write("calc/ops.py", (project.path / "calc/ops.py").read_text() + many)
    project.write(
        "tests/test_ops.py",
        TESTS
        + "\n\ndef test_spread():\n    from calc.ops import spread\n\n    assert spread(0, 4)\n",
    )
    result = judge(project, time_budget_seconds=1.0, threshold=0.0, judge="function")
    assert result.metrics["sampled"] == 1, result
    assert result.metrics["mutants_tested"] == 20
    assert result.metrics["mutants"] == 76
    sampled = next(f for f in result.findings if f.rule_id == "sampled")
    assert "a random sample (seed 0)" in sampled.message


def test_bad_policy_lists_every_problem(repo: GitRepo) -> None:
    repo.write(
        "pyproject.toml",
        '[tool.quality_gates]\ncritical_paths = ["calc/**"]\n\n'
        '[tool.quality_gates.mutation]\nthreshold = 120\nscope = "everything"\nseeds = 1\n',
    )
    repo.commit("base")
    with pytest.raises(InputError) as caught:
        load_context(repo.path, ENV)
    assert list(caught.value.problems) == [
        "tool.quality_gates.mutation.threshold: expected a number 0-100, got 120",
        'tool.quality_gates.mutation.scope: expected one of "changed", "all", got "everything"',
        'tool.quality_gates.mutation.seeds: unknown key (did you mean "seed"?)',
    ]


def test_cli_bad_policy_exits_2(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write(
        "pyproject.toml",
        '[tool.quality_gates.mutation]\nthreshold = 120\nscope = "everything"\n',
    )
    repo.commit("base")
    assert cli.main(["--repo", str(repo.path), "mutation"]) == 2
    err = capsys.readouterr().err
    assert "tool.quality_gates.mutation.threshold: expected a number 0-100" in err
    assert "tool.quality_gates.mutation.scope: expected one of" in err


def test_a_missing_mutmut_is_an_error(repo: GitRepo) -> None:
    repo.write("pyproject.toml", policy("/nonexistent/python3"))
    repo.write("calc/ops.py", OPS)
    repo.commit("base")
    repo.publish_main()
    repo.write("calc/ops.py", OPS.replace("return a + b", "return b + a"))
    result = run_gate(gate.NAME, load_context(repo.path, ENV), io.StringIO())
    assert result.status == "error"
    assert result.reason.startswith("mutation.python '/nonexistent/python3': no such interpreter")
