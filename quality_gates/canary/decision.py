"""Promote, roll back, or inconclusive: the canary's login outcomes against the baseline's.

Roll back when the canary's login success rate is more than ``max_drop`` points below the
baseline's, or its error rate above ``max_error_rate`` % and the baseline's, and the difference
is significant (one-sided two-proportion z-test, ``p < alpha``). Promote at the end of the
watch when both versions saw ``min_sample`` attempts and nothing is wrong. Anything else at
the end (too few attempts, a drop that is not significant, a missing metric) is inconclusive:
never a silent pass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Kind = Literal["promote", "rollback", "inconclusive", "continue"]


@dataclass(frozen=True)
class Criteria:
    """What the decision needs and tolerates."""

    min_sample: int = 100
    max_drop: float = 2.0
    max_error_rate: float = 1.0
    alpha: float = 0.05
    success: tuple[str, ...] = ("success",)
    errors: tuple[str, ...] = ("error",)
    ignored: tuple[str, ...] = ("rate_limited",)


@dataclass(frozen=True)
class Sample:
    """Login attempts of one version since the watch began."""

    attempts: float
    successes: float
    errors: float

    @classmethod
    def from_counts(cls, counts: Mapping[str, float], criteria: Criteria) -> Sample:
        """Attempts by outcome → totals (ignored outcomes are not attempts at all)."""
        kept = {k: v for k, v in counts.items() if k not in criteria.ignored}
        return cls(
            attempts=sum(kept.values()),
            successes=sum(v for k, v in kept.items() if k in criteria.success),
            errors=sum(v for k, v in kept.items() if k in criteria.errors),
        )

    @property
    def success_rate(self) -> float:
        """Percent of attempts that succeeded (0 with no attempts)."""
        return 100.0 * self.successes / self.attempts if self.attempts else 0.0

    @property
    def error_rate(self) -> float:
        """Percent of attempts that ended in an error."""
        return 100.0 * self.errors / self.attempts if self.attempts else 0.0


@dataclass(frozen=True)
class Decision:
    """What to do, and why, in one line."""

    kind: Kind
    reason: str
    p_value: float = 1.0


def p_lower(x1: float, n1: float, x2: float, n2: float) -> float:
    """One-sided p-value that proportion 1 (``x1/n1``) is below proportion 2 by chance."""
    if n1 <= 0 or n2 <= 0:
        return 1.0
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0 if p1 < p2 else 1.0
    z = (p2 - p1) / se
    return 0.5 * math.erfc(z / math.sqrt(2))


def _rates(canary: Sample, baseline: Sample) -> str:
    return (
        f"login success {canary.success_rate:.1f}% on the canary (n={canary.attempts:.0f}) vs "
        f"{baseline.success_rate:.1f}% on the baseline (n={baseline.attempts:.0f})"
    )


def decide(canary: Sample, baseline: Sample, criteria: Criteria, *, final: bool) -> Decision:
    """The decision now; ``final`` at the end of the watch (no more waiting)."""
    short = [
        f"{name} {sample.attempts:.0f}"
        for name, sample in (("canary", canary), ("baseline", baseline))
        if sample.attempts < criteria.min_sample
    ]
    if short:
        why = f"too few login attempts ({', '.join(short)}; minimum {criteria.min_sample})"
        return Decision("inconclusive" if final else "continue", why)
    drop = baseline.success_rate - canary.success_rate
    p_drop = p_lower(canary.successes, canary.attempts, baseline.successes, baseline.attempts)
    # Errors: is the canary's error share *above* the baseline's? Same test, sides swapped.
    p_err = p_lower(baseline.errors, baseline.attempts, canary.errors, canary.attempts)
    too_many_errors = (
        canary.error_rate > criteria.max_error_rate and canary.error_rate > baseline.error_rate
    )
    if drop > criteria.max_drop and p_drop < criteria.alpha:
        reason = f"{_rates(canary, baseline)}: {drop:.1f} points lower (p={p_drop:.2g})"
        return Decision("rollback", reason, p_drop)
    if too_many_errors and p_err < criteria.alpha:
        reason = (
            f"login errors {canary.error_rate:.1f}% on the canary vs {baseline.error_rate:.1f}% "
            f"on the baseline (limit {criteria.max_error_rate:g}%, p={p_err:.2g})"
        )
        return Decision("rollback", reason, p_err)
    if not final:
        return Decision("continue", _rates(canary, baseline), p_drop)
    if drop > criteria.max_drop or too_many_errors:
        reason = (
            f"{_rates(canary, baseline)}: worse, but not significantly (p={min(p_drop, p_err):.2g})"
        )
        return Decision("inconclusive", reason, min(p_drop, p_err))
    return Decision("promote", _rates(canary, baseline), p_drop)
