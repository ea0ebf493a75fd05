"""A result set shaped like the demo's (the 2024-05-25 outage blocked), for the report's tests.

Five gates, three of them blocking: 51 failed tests with long ids, incident findings, and the
replay's per-segment table with its chart, its impact and masked e-mails that carry the
visible-space marker.
"""

from __future__ import annotations

from quality_gates.replay.segments import DEFAULT_SHARES
from quality_gates.result import Finding, GateResult, Subject, Table

IMPACT = "it would lock out 51% of the 1000 replayed accounts"
LEGACY = frozenset(
    {
        "legacy-pbkdf2",
        "legacy-pbkdf2-nfd",
        "legacy-bcrypt",
        "legacy-bcrypt-2y",
        "legacy-bcrypt-long",
        "argon2-old-params",
    }
)
#: A test id with no break opportunity: it must wrap, not widen the page.
LONG_ID = "tests/unit/test_accounts.py::test_" + "x" * 180


def _segments() -> Table:
    rows = tuple(
        (name, str(share * 10), "100.0%", "0.0%" if name in LEGACY else "100.0%",
         str(share * 10) if name in LEGACY else "0", "-", "100.0%/100.0%")
        for name, share in DEFAULT_SHARES.items()
    )  # fmt: skip
    columns: tuple[str, ...] = ("segment", "accounts", "baseline", "candidate")
    columns += ("failing accounts", "rollback failed", "refusals right")
    return Table("login success by segment", columns, rows, chart=("baseline", "candidate"))


def demo_results() -> list[GateResult]:
    """The five gates of the demo, the update blocked by three."""
    failed_tests = [
        Finding(
            "failed", f"tests/unit/test_accounts.py::test_upgrade_failure_number_{n}_of_the_login"
        )
        for n in range(50)
    ] + [Finding("failed", LONG_ID)]
    examples = [
        Finding(
            "login of \u2420\u2420a***@example.com (legacy-pbkdf2, password (16 chars)): "
            "success (200) on the baseline, bad_credentials (401) on the candidate",
            rule_id="regression",
        )
    ]
    return [
        GateResult("tests", "fail", summary="51 of 630 tests failed", findings=failed_tests),
        GateResult("coverage", "pass", summary="total 26.47%; changed critical lines 7/7 covered"),
        GateResult("api-compat", "pass", summary="no drift; no API change"),
        GateResult(
            "incidents",
            "fail",
            summary="2 problems",
            findings=[Finding("guard not passed", "postmortems/2024-05-25-login-outage.md")] * 2,
        ),
        GateResult(
            "replay",
            "fail",
            summary="candidate fails login for 51% of accounts: segment legacy-pbkdf2 (100% of "
            "its accounts), also legacy-bcrypt, legacy-bcrypt-2y",
            findings=examples,
            metrics={"accounts": 1000, "paired_requests": 7970, "mcnemar_p": 0.0},
            tables=[_segments()],
            impact=IMPACT,
        ),
    ]


SUBJECT = Subject(
    title="New login code refuses every hash but argon2id at the current parameters",
    commit="94810b632a59 + incident-2024-05-25.patch",
    baseline="94810b632a59 without the patch",
)
