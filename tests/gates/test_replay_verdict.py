"""Classification, McNemar, the tally and the verdict of a replay, and its report."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from fractions import Fraction

import pytest

from quality_gates.replay.client import Result, classify
from quality_gates.replay.play import KINDS, must_succeed
from quality_gates.replay.population import Account, Population
from quality_gates.replay.segments import SEGMENTS
from quality_gates.replay.stats import Cell, mcnemar_exact, mcnemar_one_sided, percent
from quality_gates.replay.tally import Tally, describe_password, mask_email
from quality_gates.replay.verdict import Rules, judge
from quality_gates.report import render
from quality_gates.result import GateResult

ORDER = list(SEGMENTS)


@pytest.mark.parametrize(
    ("status", "complete", "expected"),
    [
        (200, True, "success"),
        (200, False, "error"),
        (401, True, "bad_credentials"),
        (403, True, "bad_credentials"),
        (422, True, "bad_credentials"),
        (423, True, "locked"),
        (429, True, "rate_limited"),
        (500, True, "error"),
        (503, True, "error"),
        (302, True, "error"),
        (201, True, "error"),  # a 2xx the profile does not list
        (None, True, "error"),
    ],
)
def test_classify(status: int | None, complete: bool, expected: str) -> None:
    assert classify(status, (200, 204), complete=complete) == expected


def _reference_p(b: int, c: int) -> float:
    n, k = b + c, min(b, c)
    return min(1.0, float(2 * Fraction(sum(math.comb(n, i) for i in range(k + 1)), 2**n)))


@pytest.mark.parametrize(("b", "c"), [(0, 0), (1, 0), (5, 0), (10, 2), (2, 10), (7, 7), (40, 25)])
def test_mcnemar_exact(b: int, c: int) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(_reference_p(b, c), rel=1e-12)
    assert mcnemar_exact(b, c) == mcnemar_exact(c, b)


def test_mcnemar_known_values() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 0) == 0.0625  # 2 * (1/2)^5
    assert mcnemar_exact(6, 6) == 1.0
    assert mcnemar_one_sided(5, 0) == 1 / 32
    assert mcnemar_one_sided(0, 5) == 1.0
    assert mcnemar_exact(3000, 2800) < 0.01
    with pytest.raises(ValueError, match=">= 0"):
        mcnemar_exact(-1, 2)


def test_cell_counts_discordance_both_ways() -> None:
    cell = Cell(must_succeed=True)
    assert cell.add("success", "bad_credentials") == (True, False)
    cell.add("error", "success")
    cell.add("success", "success")
    assert (cell.pairs, cell.baseline_ok, cell.candidate_ok, cell.b, cell.c) == (3, 2, 2, 1, 1)
    refuse = Cell(must_succeed=False)
    refuse.add("bad_credentials", "success")  # let in: wrong
    refuse.add("rate_limited", "error")  # an error is not a refusal
    assert (refuse.baseline_ok, refuse.candidate_ok, refuse.b) == (2, 0, 2)
    assert percent(None) == "n/a"
    assert percent(100.0) == "100%"
    assert percent(61.04) == "61.0%"


def test_masking_keeps_secrets_out() -> None:
    assert mask_email("  ada.lovelace@example.com ") == "␠␠a***@example.com␠"
    assert mask_email("Jürgen.Straße@Example.com") == "J***@Example.com"
    assert describe_password("e\u0301t\u00e9 ab") == "password (7 chars, mixed form, 1 space)"
    assert describe_password("x" * 80) == "password (80 chars, 80 bytes)"
    assert describe_password("pa\uff53\ufb01\u00b2word") == (
        "password (9 chars, compatibility characters)"
    )
    assert describe_password("Caf\u00e9 ab") == "password (7 chars, NFC, 1 space)"
    assert describe_password("Cafe\u0301 ab") == "password (8 chars, NFD, 1 space)"


OK = Result("success", 200, access="a", refresh="r")
REFUSED = Result("bad_credentials", 401)


def _results(account: Account, *, primary: Result = OK, old: Result = OK) -> dict[str, Result]:
    results: dict[str, Result] = {}
    for kind in KINDS[:-1]:
        if kind.endswith("old-token") and not account.segment.live_session:
            continue
        if not account.segment.can_log_in and kind not in ("login-wrong", "login"):
            continue  # locked and disabled accounts only try the passwords
        expected = OK if must_succeed(account, kind) else REFUSED
        results[kind] = expected
    if account.segment.can_log_in:
        results["login"] = primary
    if "me-old-token" in results:
        results["me-old-token"] = old
    return results


def _tally(population: Population, broken: str = "", *, old_broken: str = "") -> Tally:
    tally = Tally()
    for account in population:
        base = _results(account)
        name = account.segment.name
        cand = _results(
            account,
            primary=REFUSED if name == broken else OK,
            old=REFUSED if name == old_broken else OK,
        )
        if tally.add_account(account, base, cand):
            tally.add_rollback(account, OK)
    return tally


def test_identical_versions_pass() -> None:
    population = Population(200, seed=1)
    verdict = judge(_tally(population), Rules(), mode="aa", accounts=200, order=ORDER)
    assert verdict.status == "pass"
    assert verdict.summary.startswith(
        "A/A: 200 accounts in 24 segments, no regression; 0 discordant"
    )
    assert verdict.impact == ""
    assert verdict.metrics["mcnemar_p"] == 1.0


def test_a_broken_segment_is_named_with_its_share() -> None:
    population = Population(200, seed=1)
    verdict = judge(
        _tally(population, "legacy-pbkdf2"), Rules(), mode="ab", accounts=200, order=ORDER
    )
    assert verdict.status == "fail"
    assert verdict.summary == (
        "candidate fails login for 16% of accounts: segment legacy-pbkdf2 (100% of its accounts)"
    )
    assert verdict.metrics["discordant_b"] == 31
    assert float(verdict.metrics["mcnemar_p"]) < 1e-9
    rules = [finding.rule_id for finding in verdict.findings]
    assert rules[:2] == ["verdict", "verdict"]  # 31 requests; the segment's rate drops
    assert "regression" in rules
    messages = " ".join(finding.message for finding in verdict.findings)
    for account in population:
        assert account.password not in messages  # secrets masked
    segments = {row[0]: row for row in verdict.tables[0].rows}
    assert segments["legacy-pbkdf2"][2:5] == ("100%", "83.3%", "31")  # 1 of 6 kinds
    assert verdict.impact == "it would lock out 16% of the 200 replayed accounts"


def test_an_ended_session_that_still_works_is_a_security_failure() -> None:
    """A logout that revokes nothing: the users still log in, but their old tokens work."""
    population = Population(200, seed=1)
    tally = Tally()
    for account in population:
        candidate = _results(account)
        for kind in ("me-after-logout", "refresh-after-logout"):
            if kind in candidate:
                candidate[kind] = OK
        if tally.add_account(account, _results(account), candidate):
            tally.add_rollback(account, OK)
    verdict = judge(tally, Rules(), mode="ab", accounts=200, order=ORDER)
    able = sum(account.segment.can_log_in for account in population)
    assert verdict.status == "fail"
    assert verdict.summary.startswith("candidate fails me-after-logout for ")
    assert verdict.metrics["security_regressions"] == able
    assert verdict.metrics["discordant_b"] == 2 * able
    assert "security" in {finding.rule_id for finding in verdict.findings}


def test_threshold_tolerates_a_few_but_not_a_segment_drop() -> None:
    population = Population(200, seed=1)
    tally = _tally(population, "disabled")  # nothing must succeed there: no change
    assert judge(tally, Rules(), mode="ab", accounts=200, order=ORDER).status == "pass"
    tally = _tally(population, old_broken="live-session")
    verdict = judge(tally, Rules(threshold=100), mode="ab", accounts=200, order=ORDER)
    assert verdict.status == "fail"  # tolerated count, but the segment's rate dropped
    assert verdict.summary.startswith("candidate fails me-old-token for 5% of accounts")
    tolerant = Rules(threshold=100, segment_tolerance=50)
    verdict = judge(tally, tolerant, mode="ab", accounts=200, order=ORDER)
    assert verdict.status == "pass"
    assert "10 tolerated (threshold 100)" in verdict.summary


def test_no_data_fails() -> None:
    verdict = judge(Tally(), Rules(), mode="ab", accounts=0, order=ORDER)
    assert verdict.status == "fail"
    assert verdict.summary.startswith("no data")


def test_a_password_let_in_is_a_security_regression() -> None:
    account = next(a for a in Population(50) if a.segment.name == "password-spaces")
    tally = Tally()
    base = _results(account)
    tally.add_account(account, base, {**base, "login-wrong": OK})
    verdict = judge(tally, Rules(threshold=5), mode="ab", accounts=1, order=ORDER)
    assert verdict.status == "fail"
    assert any(f.rule_id == "security" for f in verdict.findings)
    assert "let in on the candidate" in " ".join(f.message for f in verdict.findings)


def test_rollback_failures_fail_and_are_named() -> None:
    population = Population(100, seed=2)
    tally = Tally()
    for account in population:
        results = _results(account)
        if tally.add_account(account, results, results):
            bad = account.segment.scheme is not None
            tally.add_rollback(account, REFUSED if bad else OK)
    verdict = judge(tally, Rules(), mode="ab", accounts=100, order=ORDER)
    assert verdict.status == "fail"
    assert verdict.summary.startswith("after a rollback to the baseline, login fails for 53% of")
    assert verdict.impact == "after a rollback, 53% of the 100 replayed accounts could not log in"
    assert "segment legacy-pbkdf2 (100% of its accounts), also " in verdict.summary


def test_the_report_shows_segments_in_every_format() -> None:
    population = Population(100, seed=1)
    verdict = judge(
        _tally(population, "legacy-bcrypt"), Rules(), mode="ab", accounts=100, order=ORDER
    )
    result = GateResult(
        "replay",
        verdict.status,
        summary=verdict.summary,
        findings=verdict.findings,
        metrics=verdict.metrics,
        tables=verdict.tables,
    )
    html = render([result], "html")
    assert html.count("<svg") == 1
    assert "legacy-bcrypt" in html.split("<svg")[1]
    assert "<script" not in html
    svg = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    bars = ET.fromstring(svg).findall(".//{http://www.w3.org/2000/svg}rect")  # noqa: S314 - ours
    assert len(bars) == 2 + 2 * len(SEGMENTS)  # the legend, then both versions per segment
    markdown = render([result], "markdown")
    assert "**replay: login success by segment**" in markdown
    assert "| legacy-bcrypt | 9 | 100% | 83.3% | 9 | - | 100%/100% |" in markdown
    assert "| locked | 3 | n/a | n/a | 0 | - | 100%/100% |" in markdown
    text = render([result], "text")
    assert "login success by segment:" in text
    document = json.loads(render([result], "json"))
    assert document["gates"][0]["tables"][0]["chart"] == ["baseline", "candidate"]
    plain = GateResult("coverage", "pass", summary="ok")
    assert "tables" not in json.loads(render([plain], "json"))["gates"][0]
