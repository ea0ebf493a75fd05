"""From mutmut's results to the verdict, on made-up results (the real runs are in test_mutation)."""

from __future__ import annotations

import datetime as dt

from quality_gates.mutation.results import Mutant
from quality_gates.mutation.runner import Outcome
from quality_gates.mutation.scope import changed_scope
from quality_gates.mutation.survivors import Accepted
from quality_gates.mutation.verdict import Rules, judge

PATH = "app/auth.py"
SOURCE = """\
def check(attempts):
    if attempts > 5:
        return "locked"
    return "ok"


def other(x):
    return x
"""
LINES = SOURCE.splitlines()
SCOPE = changed_scope({PATH: SOURCE}, {PATH: {2, 8}})
TODAY = dt.date(2024, 5, 25)
RULES = Rules(threshold=100.0, survivors_file="survivors.toml", seed=0, budget=600.0, today=TODAY)
DIFF = """\
--- app/auth.py
+++ app/auth.py
@@ -1,4 +1,4 @@
 def check(attempts):
-    if attempts > 5:
+    if attempts >= 5:
         return "locked"
     return "ok\""""


def mutant(number: int, code: int | None, function: str = "check") -> Mutant:
    return Mutant(f"app.auth.x_{function}__mutmut_{number}", PATH, code)


def outcome(
    *mutants: Mutant,
    untested: set[str] | None = None,
    failure: str = "",
    log: list[str] | None = None,
) -> Outcome:
    result = Outcome("3.8.1", list(mutants), untested or set(), failure=failure, log=log or [])
    result.diffs.setdefault("app.auth.x_check__mutmut_1", DIFF)
    return result


ACCEPT = Accepted(
    0,
    "boundary",
    dt.date(2030, 1, 1),
    function="app.auth.check",
    original="if attempts > 5:",
    mutated="if attempts >= 5:",
)


def test_a_survivor_fails_with_its_location_and_diff() -> None:
    verdict = judge(
        SCOPE, outcome(mutant(1, 0), mutant(2, 1), mutant(1, 1, "other")), [], {PATH: LINES}, RULES
    )
    assert verdict.status == "fail"
    assert verdict.summary == "score 66.67% < 100% (2 killed, 1 survived, 0 timeout)"
    survivor = verdict.findings[0]
    assert (survivor.path, survivor.line, survivor.severity, survivor.rule_id) == (
        PATH,
        2,
        "error",
        "mutant-survived",
    )
    assert survivor.message == (
        "survived: check (mutmut_1)\n        - if attempts > 5:\n        + if attempts >= 5:"
    )
    assert verdict.tables[0].rows == (
        ("app/auth.py:2", "survived", "app.auth.check", "if attempts > 5:", "if attempts >= 5:"),
    )
    assert verdict.metrics["score"] == 66.67


def test_below_a_lower_threshold_survivors_are_warnings() -> None:
    rules = Rules(60.0, "survivors.toml", 0, 600.0, TODAY)
    verdict = judge(
        SCOPE, outcome(mutant(1, 0), mutant(2, 1), mutant(1, 1, "other")), [], {PATH: LINES}, rules
    )
    assert verdict.status == "pass"
    assert verdict.findings[0].severity == "warning"


def test_an_accepted_survivor_passes_and_an_expired_entry_fails() -> None:
    verdict = judge(SCOPE, outcome(mutant(1, 0), mutant(2, 1)), [ACCEPT], {PATH: LINES}, RULES)
    assert verdict.status == "pass"
    assert "1 accepted" in verdict.summary
    assert verdict.findings[0].rule_id == "survivor-accepted"
    assert verdict.findings[0].message.startswith("accepted until 2030-01-01 (boundary): survived")
    expired = Accepted(1, "old", dt.date(2024, 5, 24), mutant="app.auth.x_nothing*")
    verdict = judge(
        SCOPE, outcome(mutant(1, 0), mutant(2, 1)), [ACCEPT, expired], {PATH: LINES}, RULES
    )
    assert verdict.status == "fail"
    assert [f.rule_id for f in verdict.findings if f.rule_id == "survivor-expired"] == [
        "survivor-expired"
    ]
    assert "1 expired survivor entry" in verdict.summary


def test_an_entry_for_a_judged_function_that_matches_nothing_is_reported() -> None:
    stale = Accepted(0, "old", dt.date(2030, 1, 1), function="app.auth.check", original="gone")
    verdict = judge(SCOPE, outcome(mutant(1, 1)), [stale], {PATH: LINES}, RULES)
    assert verdict.status == "pass"
    assert [f.rule_id for f in verdict.findings] == ["survivor-unused"]


def test_mutants_no_test_calls_make_an_error_one_finding_per_function() -> None:
    verdict = judge(
        SCOPE,
        outcome(mutant(1, 1), mutant(1, 33, "other"), mutant(2, 33, "other")),
        [],
        {PATH: LINES},
        RULES,
    )
    assert verdict.status == "error"
    assert verdict.reason.startswith("2 mutant(s) could not be judged (2 no tests)")
    no_tests = [f for f in verdict.findings if f.rule_id == "mutant-no-tests"]
    assert len(no_tests) == 1
    assert (no_tests[0].path, no_tests[0].line) == (PATH, 7)
    assert "no test calls other: its 2 mutant(s)" in no_tests[0].message


def test_suspicious_and_unrun_mutants_make_an_error() -> None:
    verdict = judge(SCOPE, outcome(mutant(1, 35), mutant(2, None)), [], {PATH: LINES}, RULES)
    assert verdict.status == "error"
    assert {f.rule_id for f in verdict.findings} == {"mutant-suspicious", "mutant-not-checked"}


def test_a_sample_is_said_to_be_one() -> None:
    mutants = [mutant(i, 1) for i in range(1, 21)] + [mutant(i, None) for i in range(21, 41)]
    result = outcome(*mutants, untested={m.name for m in mutants[20:]})
    verdict = judge(SCOPE, result, [], {PATH: LINES}, RULES)
    assert verdict.status == "pass"
    assert "20 of 40 sampled" in verdict.summary
    sampled = next(f for f in verdict.findings if f.rule_id == "sampled")
    assert sampled.message.startswith(
        "time budget of 600 s reached: 20 of 40 mutants with tests were run, a random sample"
    )
    assert verdict.metrics["sampled"] == 1
    assert float(verdict.metrics["score_low"]) < 100


def test_mutmut_failing_is_an_error_with_its_output() -> None:
    result = outcome(failure="the tests fail on the unmutated code", log=["FAILED tests/t.py::x"])
    verdict = judge(SCOPE, result, [], {PATH: LINES}, RULES)
    assert (verdict.status, verdict.reason) == ("error", "the tests fail on the unmutated code")
    assert verdict.findings[-1].message == "FAILED tests/t.py::x"
