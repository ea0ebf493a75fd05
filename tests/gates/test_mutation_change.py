"""Judging the change, not the neighbourhood (``judge = "change"``), with the real mutmut 3.

The project of ``_mutation.py``: ``cap``'s test never probes the boundary, so two of its
mutants survive on main already (``>`` -> ``>=``, ``100`` -> ``101``). A change that touches
``cap`` elsewhere must not pay for them; a change that weakens a test, or adds a branch no test
checks, must fail.
"""

from __future__ import annotations

from quality_gates.gates import mutation as gate
from quality_gates.result import GateResult
from tests.gates._mutation import ENV, OPS, TESTS, load_context, policy, require_mutmut
from tests.gates._repo import GitRepo

BOUNDARY = TESTS + "\n\ndef test_cap_just_above():\n    assert cap(101) == 100\n"


def judge(repo: GitRepo, **overrides: object) -> GateResult:
    return gate.run(load_context(repo.path, ENV, overrides))


def start(repo: GitRepo, tests: str = TESTS) -> GitRepo:
    """main: calc and ``tests``; the caller makes the change."""
    repo.write(".gitignore", "__pycache__/\n")
    repo.write("pyproject.toml", policy(require_mutmut()))
    repo.write("calc/__init__.py", "")
    repo.write("calc/ops.py", OPS)
    repo.write("tests/test_ops.py", tests)
    repo.commit("base")
    repo.publish_main()
    return repo


def test_old_survivors_elsewhere_in_a_touched_function_are_debt_not_a_failure(
    repo: GitRepo,
) -> None:
    start(repo)
    repo.write("calc/ops.py", OPS.replace("return value", "return value  # in range"))
    repo.commit("a comment in cap")
    result = judge(repo)
    assert result.status == "pass", result
    assert result.summary == "no mutant left to judge (0 killed, 0 survived, 0 timeout)"
    assert (result.metrics["old_debt"], result.metrics["regressions"]) == (2, 0)
    debt = next(f for f in result.findings if f.rule_id == "mutant-old-debt")
    assert debt.severity == "info"
    assert debt.message.startswith("old debt: 2 surviving mutant(s) on lines the change left")
    table = next(t for t in result.tables if t.title == "old debt")
    assert sorted(row[4] for row in table.rows) == ["if value > 101:", "if value >= 100:"]
    assert not [f for f in result.findings if f.rule_id == "mutant-survived"]


def test_a_weakened_test_fails_on_the_mutant_it_lets_live(repo: GitRepo) -> None:
    # On main the boundary test kills ``> 101``; the change drops it and edits cap elsewhere.
    start(repo, BOUNDARY)
    repo.write("calc/ops.py", OPS.replace("return value", "return value  # in range"))
    repo.write("tests/test_ops.py", TESTS)
    repo.commit("drop a test")
    result = judge(repo)
    assert result.status == "fail", result
    assert result.metrics["regressions"] == 1
    assert result.metrics["old_debt"] == 1  # ``>=`` survived on main too
    survivor = next(f for f in result.findings if f.rule_id == "mutant-survived")
    assert survivor.severity == "error"
    assert survivor.message.startswith("killed on the baseline, survived: cap")
    assert "+ if value > 101:" in survivor.message
    assert "that the baseline's tests killed" in result.summary


def test_an_untested_branch_on_changed_lines_fails(repo: GitRepo) -> None:
    start(repo)
    guarded = OPS.replace(
        "    return a + b\n", "    if a is None:\n        return 0\n    return a + b\n"
    )
    repo.write("calc/ops.py", guarded)
    repo.commit("a branch nobody tests")
    result = judge(repo, threshold=80.0)
    assert result.status == "fail", result
    rows = next(t for t in result.tables if t.title == "surviving mutants").rows
    assert [(row[0], row[4]) for row in rows] == [("calc/ops.py:6", "return 1")]
    # ``is not None`` on the new line is killed; ``a - b``, on a line the change left alone, is
    # killed too but not scored.
    assert (result.metrics["killed"], result.metrics["survived"]) == (1, 1)
    assert result.metrics["old_debt"] == 0  # every other mutant of add is killed: no comparison


def test_moved_code_keeps_its_old_survivors_as_debt(repo: GitRepo) -> None:
    # cap's body moves into a new helper: git shows its lines as added, but each line is on
    # main as it is, and its survivors survive there too (benign-refactor-token-checks).
    start(repo)
    moved = OPS.replace(
        "def cap(value):\n",
        "def cap(value):\n    return _capped(value)\n\n\ndef _capped(value):\n",
    )
    repo.write("calc/ops.py", moved)
    repo.commit("cap's body in a helper")
    result = judge(repo)
    assert result.status == "pass", result
    assert result.metrics["old_debt"] == 2
    table = next(t for t in result.tables if t.title == "old debt")
    assert {row[2] for row in table.rows} == {"calc.ops._capped"}
