"""Paired statistics of a replay: the exact McNemar test and per-segment success rates.

Every request is played on both versions against identical data, so each is a *pair*: ``b``
counts pairs right on the baseline and wrong on the candidate, ``c`` the reverse. Under "no
difference" each discordant pair is a fair coin, so the exact two-sided p-value is a binomial
tail, computed here with integers (no scipy).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction


def mcnemar_exact(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value for ``b`` and ``c`` discordant pairs (1.0 when none)."""
    if b < 0 or c < 0:
        raise ValueError("counts must be >= 0")
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    # Sum C(n, i) for i <= k, each term from the previous one: exact and O(k) big-int steps.
    term = 1
    tail = 1
    for i in range(k):
        term = term * (n - i) // (i + 1)
        tail += term
    return float(min(Fraction(1), Fraction(2 * tail, 2**n)))


def mcnemar_one_sided(b: int, c: int) -> float:
    """P(at least ``b`` of ``b + c`` discordant pairs go against the candidate by chance)."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(b, n + 1))
    return float(Fraction(tail, 2**n))


@dataclass
class Cell:
    """The pairs of one segment and one request kind."""

    must_succeed: bool
    pairs: int = 0
    baseline_ok: int = 0
    candidate_ok: int = 0
    b: int = 0
    c: int = 0
    baseline: Counter[str] = field(default_factory=Counter)
    candidate: Counter[str] = field(default_factory=Counter)

    def add(self, baseline_outcome: str, candidate_outcome: str) -> tuple[bool, bool]:
        """Count one pair; returns whether each side met the expectation."""
        base_ok = is_ok(baseline_outcome, must_succeed=self.must_succeed)
        cand_ok = is_ok(candidate_outcome, must_succeed=self.must_succeed)
        self.pairs += 1
        self.baseline_ok += base_ok
        self.candidate_ok += cand_ok
        self.b += base_ok and not cand_ok
        self.c += cand_ok and not base_ok
        self.baseline[baseline_outcome] += 1
        self.candidate[candidate_outcome] += 1
        return base_ok, cand_ok


def is_ok(outcome: str, *, must_succeed: bool) -> bool:
    """Whether an outcome meets its expectation: let in, or kept out without an error."""
    if must_succeed:
        return outcome == "success"
    return outcome in ("bad_credentials", "locked", "rate_limited")


def rate(ok: int, total: int) -> float | None:
    """``ok / total`` as a percentage, ``None`` when there is nothing to divide."""
    return None if total == 0 else 100.0 * ok / total


def percent(value: float | None) -> str:
    """A percentage for a report: ``61.0%``, ``100%``, ``n/a``."""
    if value is None:
        return "n/a"
    return f"{value:.0f}%" if value in (0.0, 100.0) else f"{value:.1f}%"
