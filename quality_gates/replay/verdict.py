"""The replay's verdict, headline, findings and per-segment tables, from a finished tally.

Fail when a request that must succeed fails on the candidate but not on the baseline (more
than ``threshold`` of them; default 0), when a request that must be refused gets in on the
candidate only, when an account that logged in on the candidate cannot log in after a rollback,
when a segment's success rate drops (beyond ``segment_tolerance`` points), or when there is no
data to judge. The headline says what share of users the candidate would lock out, and where.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from quality_gates.replay.play import REPORTED_KINDS
from quality_gates.replay.stats import mcnemar_exact, percent, rate
from quality_gates.replay.tally import SegmentTally, Tally
from quality_gates.result import Finding, MetricValue, Table

Mode = Literal["ab", "aa"]


@dataclass(frozen=True)
class Rules:
    """What the verdict tolerates."""

    threshold: int = 0
    segment_tolerance: float = 0.0


@dataclass
class Judgement:
    """The verdict and everything the report shows."""

    status: Literal["pass", "fail"]
    summary: str
    findings: list[Finding] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    metrics: dict[str, MetricValue] = field(default_factory=dict)
    impact: str = ""


def _share(part: int, whole: int) -> str:
    value = 100.0 * part / whole if whole else 0.0
    return f"{value:.1f}%" if 0 < value < 1 else f"{value:.0f}%"


def _ranked(
    segments: dict[str, SegmentTally], count: str, base: str, order: Sequence[str]
) -> list[tuple[str, int, int]]:
    """Segments with a non-zero ``count``, worst share first, then most accounts, then order."""
    rows = [
        (name, getattr(tally, count), getattr(tally, base))
        for name, tally in segments.items()
        if getattr(tally, count)
    ]
    rows.sort(key=lambda r: (-r[1] / max(r[2], 1), -r[1], list(order).index(r[0])))
    return rows


def _where(rows: list[tuple[str, int, int]]) -> str:
    first, *others = rows
    text = f"segment {first[0]} ({_share(first[1], first[2])} of its accounts)"
    if others:
        text += ", also " + ", ".join(name for name, _, _ in others[:4])
        if len(others) > 4:
            text += f" and {len(others) - 4} more"
    return text


def _worst_kind(segments: dict[str, SegmentTally], names: Sequence[str]) -> str:
    """The request kind that failed most often in the named segments."""
    kinds: dict[str, int] = {}
    for name in names:
        for kind, count in segments[name].kinds.items():
            kinds[kind] = kinds.get(kind, 0) + count
    return max(kinds, key=lambda k: (kinds[k], -REPORTED_KINDS.index(k))) if kinds else "requests"


def headline(tally: Tally, accounts: int, order: Sequence[str]) -> str:
    """One line: the share of accounts hit, and the segments hit hardest.

    The user's own login (the e-mail as registered) comes first; failures of the e-mail
    variants or of the other requests are named after it, or alone when it is all there is.
    """
    segs = tally.segments
    primary = _ranked(segs, "primary_regressed", "accounts", order)
    other = _ranked(segs, "regressed", "accounts", order)
    if primary:
        hit = sum(s.primary_regressed for s in segs.values())
        line = f"candidate fails login for {_share(hit, accounts)} of accounts: {_where(primary)}"
        extra = sum(s.regressed for s in segs.values())
        if extra > hit:
            kind = _worst_kind(segs, [name for name, _, _ in other])
            line += f"; {kind} and other requests fail for {_share(extra, accounts)}"
        return line
    if other:
        hit = sum(s.regressed for s in segs.values())
        kind = _worst_kind(segs, [name for name, _, _ in other])
        return f"candidate fails {kind} for {_share(hit, accounts)} of accounts: {_where(other)}"
    rollback = _ranked(segs, "rollback_failed", "rollback_checked", order)
    if rollback:
        hit = sum(s.rollback_failed for s in segs.values())
        return (
            f"after a rollback to the baseline, login fails for {_share(hit, accounts)} of "
            f"accounts: {_where(rollback)}"
        )
    return ""


def impact(tally: Tally, accounts: int) -> str:
    """Who the candidate would hurt, as the end of "blocked: …" (empty when nobody)."""
    segs = tally.segments.values()
    among = f"of the {accounts} replayed accounts"
    if locked := sum(s.primary_regressed for s in segs):
        return f"it would lock out {_share(locked, accounts)} {among}"
    if hit := sum(s.regressed for s in segs):
        kind = _worst_kind(tally.segments, [s for s, t in tally.segments.items() if t.regressed])
        return f"{kind} would fail for {_share(hit, accounts)} {among}"
    if rollback := sum(s.rollback_failed for s in segs):
        return f"after a rollback, {_share(rollback, accounts)} {among} could not log in"
    if security := sum(s.security for s in segs):
        return f"it would let {security} account(s) in with a password the baseline refuses"
    return ""


def segment_table(tally: Tally, order: Sequence[str]) -> Table:
    """Per segment: accounts, success rates on both versions, failing accounts, rollbacks."""
    rows = []
    for name in order:
        seg = tally.segments.get(name)
        if seg is None:
            continue
        pairs, base, cand = tally.segment_rates(name)
        kept, kept_base, kept_cand = tally.segment_rates(name, must_succeed=False)
        refused = f"{percent(rate(kept_base, kept))}/{percent(rate(kept_cand, kept))}"
        rollback = f"{seg.rollback_failed}/{seg.rollback_checked}" if seg.rollback_checked else "-"
        rows.append(
            (
                name,
                str(seg.accounts),
                percent(rate(base, pairs)),
                percent(rate(cand, pairs)),
                str(seg.regressed),
                rollback,
                refused,
            )
        )
    columns = (
        "segment",
        "accounts",
        "baseline",
        "candidate",
        "failing accounts",
        "rollback failed",
        "refusals right",
    )
    return Table("login success by segment", columns, tuple(rows), chart=("baseline", "candidate"))


def kind_table(tally: Tally) -> Table:
    """Per request kind: pairs, right on each version, discordant pairs both ways."""
    rows = []
    for kind in REPORTED_KINDS:
        cells = [cell for (_, k), cell in tally.cells.items() if k == kind]
        if not cells:
            continue
        pairs = sum(c.pairs for c in cells)
        expected = {cell.must_succeed for cell in cells}
        rows.append(
            (
                kind,
                "mixed" if len(expected) > 1 else ("succeed" if expected.pop() else "refuse"),
                str(pairs),
                percent(rate(sum(c.baseline_ok for c in cells), pairs)),
                percent(rate(sum(c.candidate_ok for c in cells), pairs)),
                str(sum(c.b for c in cells)),
                str(sum(c.c for c in cells)),
            )
        )
    columns = ("request", "expected", "pairs", "baseline right", "candidate right", "b", "c")
    return Table(
        "requests by kind (b: right on baseline only; c: on candidate only)", columns, tuple(rows)
    )


def judge(
    tally: Tally, rules: Rules, *, mode: Mode, accounts: int, order: Sequence[str]
) -> Judgement:
    """The verdict on a finished replay of ``accounts`` accounts."""
    pairs, needed, b, c = tally.totals()
    p_value = mcnemar_exact(b, c)
    needed_b = sum(cell.b for cell in tally.cells.values() if cell.must_succeed)
    refusal_b = b - needed_b
    base_successes = sum(cell.baseline_ok for cell in tally.cells.values() if cell.must_succeed)
    security = sum(s.security for s in tally.segments.values())
    rollback_failed = sum(s.rollback_failed for s in tally.segments.values())
    metrics: dict[str, MetricValue] = {
        "mode": mode,
        "accounts": accounts,
        "segments": len(tally.segments),
        "paired_requests": pairs,
        "discordant_b": b,
        "discordant_c": c,
        "mcnemar_p": round(p_value, 6),
        "regressions": needed_b + refusal_b,
        "security_regressions": security,
        "rollback_failures": rollback_failed,
    }
    tables = [segment_table(tally, order), kind_table(tally)]
    problems: list[str] = []
    if needed == 0 or base_successes == 0:
        problems.append("no data: no request that must succeed succeeded on the baseline")
    if needed_b + refusal_b > rules.threshold:
        problems.append(
            f"{needed_b + refusal_b} request(s) right on the baseline fail on the candidate"
        )
    if security:
        problems.append(
            f"{security} account(s) let in on the candidate with a password the baseline refused"
        )
    if rollback_failed > rules.threshold:
        problems.append(f"{rollback_failed} account(s) cannot log in after a rollback")
    for name in order:
        npairs, base, cand = tally.segment_rates(name)
        base_rate, cand_rate = rate(base, npairs), rate(cand, npairs)
        if (
            base_rate is not None
            and cand_rate is not None
            and cand_rate < base_rate - rules.segment_tolerance
        ):
            problems.append(
                f"segment {name}: success rate {percent(base_rate)} -> {percent(cand_rate)}"
            )
    findings = [Finding(p, severity="error", rule_id="verdict") for p in problems]
    findings += [Finding(ex.message, severity="error", rule_id=ex.rule) for ex in tally.examples]
    unmet = needed - base_successes
    if unmet:
        findings.append(
            Finding(
                f"{unmet} request(s) that should succeed failed on the baseline too (not counted "
                "against the candidate): the population expects more than the baseline does",
                severity="warning",
                rule_id="baseline-unmet",
            )
        )
    noise = f"{b + c} discordant of {pairs} paired requests (b={b}, c={c}, McNemar p={p_value:.3g})"
    if problems:
        summary = headline(tally, accounts, order) or problems[0]
        if problems[0].startswith("no data"):
            summary = problems[0]
        return Judgement("fail", summary, findings, tables, metrics, impact(tally, accounts))
    prefix = "A/A: " if mode == "aa" else ""
    summary = (
        f"{prefix}{accounts} accounts in {len(tally.segments)} segments, no regression; {noise}"
    )
    if needed_b + refusal_b or rollback_failed:
        summary += (
            f"; {needed_b + refusal_b + rollback_failed} tolerated (threshold {rules.threshold})"
        )
    return Judgement("pass", summary, findings, tables, metrics)
