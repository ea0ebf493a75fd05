"""Statistics for the timing checks (conformance property 13, the replay's oracle): stdlib only.

Why Mann-Whitney U: login latencies are skewed and heavy-tailed (scheduler hiccups, GC pauses,
a cold cache), so a t-test's normality assumption does not hold and one 200 ms outlier would
dominate a mean. The rank-sum test compares whole distributions and is unmoved by a few
outliers. Why the normal approximation: with 30 samples a side (the suite's minimum) it is
accurate to well under a percentage point at the 1% level, and the exact null distribution would
be needless code. scipy is not a dependency of this package, so the test is written here.

The samples must be interleaved (A, B, A, B, with the order of each pair randomised) so that a
drift in the machine's load hits both groups alike; then, under "no difference", the labels are
exchangeable and the test's false-alarm rate is its alpha.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MannWhitney:
    """The outcome of a two-sided Mann-Whitney U test of ``a`` against ``b``."""

    u: float
    """U of ``a``: the number of (a, b) pairs with a > b, ties counting one half."""
    z: float
    """The standardised statistic (continuity- and tie-corrected); > 0 when ``a`` is larger."""
    p_two_sided: float


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks of ``values``; tied values share the mean of their ranks."""
    order = sorted(range(len(values)), key=values.__getitem__)
    result = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        mean_rank = (start + end) / 2 + 1
        for index in order[start : end + 1]:
            result[index] = mean_rank
        start = end + 1
    return result


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def mann_whitney_u(a: Sequence[float], b: Sequence[float]) -> MannWhitney:
    """Two-sided Mann-Whitney U test, normal approximation with tie and continuity correction."""
    n1, n2 = len(a), len(b)
    if n1 < 2 or n2 < 2:
        raise ValueError("each sample needs at least two values")
    pooled = [*a, *b]
    rank = ranks(pooled)
    u = sum(rank[:n1]) - n1 * (n1 + 1) / 2
    mean = n1 * n2 / 2
    n = n1 + n2
    # Tie correction: each group of t tied values removes (t^3 - t) from the variance.
    tie_sum = sum(t**3 - t for t in _tie_sizes(pooled))
    variance = n1 * n2 / 12 * ((n + 1) - tie_sum / (n * (n - 1)))
    if variance <= 0:  # every value equal: no evidence of any difference
        return MannWhitney(u, 0.0, 1.0)
    delta = u - mean
    corrected = max(abs(delta) - 0.5, 0.0)  # continuity correction, towards the mean
    z = math.copysign(corrected / math.sqrt(variance), delta)
    return MannWhitney(u, z, min(1.0, 2 * normal_sf(abs(z))))


def _tie_sizes(values: Sequence[float]) -> list[int]:
    counts: dict[float, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return [count for count in counts.values() if count > 1]


@dataclass(frozen=True)
class TimingVerdict:
    """Whether two interleaved latency samples reveal which path ran, and the numbers why."""

    leaks: bool
    p_value: float
    median_a: float
    median_b: float
    difference: float
    tolerance: float


def compare_latencies(
    a: Sequence[float], b: Sequence[float], *, kdf_seconds: float, alpha: float = 0.01
) -> TimingVerdict:
    """Decide whether paths ``a`` and ``b`` take measurably different times.

    Both criteria must hold for a leak: the difference is statistically significant
    (two-sided Mann-Whitney, ``alpha``), and the medians differ by more than 20% of one KDF run
    (``kdf_seconds``, estimated by the caller) - the catalogue's practical threshold, so a
    consistent sub-millisecond difference (a different SQL query) is not called a leak. Under
    "no difference" the first criterion alone fires with probability ``alpha``, so the
    false-alarm rate is at most ``alpha`` (1% by default).
    """
    test = mann_whitney_u(a, b)
    median_a, median_b = statistics.median(a), statistics.median(b)
    difference = median_a - median_b
    tolerance = 0.2 * max(kdf_seconds, 0.0)
    leaks = test.p_two_sided < alpha and abs(difference) > tolerance
    return TimingVerdict(leaks, test.p_two_sided, median_a, median_b, difference, tolerance)
