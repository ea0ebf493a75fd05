"""The timing statistics: ranks, the Mann-Whitney U test, and its false-alarm rate."""

from __future__ import annotations

import random

import pytest

from quality_gates.stats import compare_latencies, mann_whitney_u, normal_sf, ranks


def test_ranks_average_ties() -> None:
    assert ranks([10.0, 20.0, 20.0, 5.0]) == [2.0, 3.5, 3.5, 1.0]


def test_normal_tail() -> None:
    assert normal_sf(0.0) == pytest.approx(0.5)
    assert normal_sf(2.5758) == pytest.approx(0.005, abs=1e-5)


def test_u_statistic_and_direction() -> None:
    result = mann_whitney_u([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    assert result.u == 0.0
    assert result.z < 0
    # By hand: U = 0, mean 4.5, variance 3 * 3 * 7 / 12 = 5.25, z = (4.5 - 0.5) / 2.291 = 1.746.
    assert result.p_two_sided == pytest.approx(0.0809, abs=5e-4)


def test_tie_corrected_reference_value() -> None:
    a = [1.0, 2.0, 2.0, 3.0, 3.0, 3.0]
    b = [2.0, 3.0, 4.0, 4.0, 5.0, 5.0]
    # By hand: rank sum of a = 26.5, so U = 5.5 against a mean of 18; ties of 3, 4, 2 and 2
    # values give a variance of 3 * (13 - 96 / 132) = 36.82; z = (12.5 - 0.5) / 6.068 = 1.978.
    result = mann_whitney_u(a, b)
    assert result.u == 5.5
    assert result.z == pytest.approx(-1.9776, abs=1e-3)
    assert result.p_two_sided == pytest.approx(0.0480, abs=5e-4)


def test_identical_samples_are_no_evidence() -> None:
    assert mann_whitney_u([1.0] * 5, [1.0] * 5).p_two_sided == 1.0


def test_too_few_samples() -> None:
    with pytest.raises(ValueError, match="at least two"):
        mann_whitney_u([1.0], [1.0, 2.0])


def test_false_alarm_rate_is_under_one_percent() -> None:
    """2000 pairs of 30 skewed latencies from one distribution: at most ~1% called leaks."""
    rng = random.Random(20240525)
    alarms = 0
    trials = 2000
    for _ in range(trials):
        a = [rng.lognormvariate(-3.5, 0.4) for _ in range(30)]
        b = [rng.lognormvariate(-3.5, 0.4) for _ in range(30)]
        alarms += compare_latencies(a, b, kdf_seconds=0.0).leaks
    assert alarms / trials <= 0.015  # 1% nominal; 0.015 leaves room for sampling error


def test_a_missing_kdf_is_detected() -> None:
    """Unknown users answered 20 ms faster (no KDF) are caught every time."""
    rng = random.Random(7)
    for _ in range(50):
        known = [0.022 + rng.expovariate(1 / 0.003) for _ in range(30)]
        unknown = [0.002 + rng.expovariate(1 / 0.003) for _ in range(30)]
        assert compare_latencies(known, unknown, kdf_seconds=0.020).leaks


def test_a_tiny_consistent_difference_is_tolerated() -> None:
    """0.5 ms apart with a 20 ms KDF: significant, but under 20% of a KDF run."""
    known = [0.0205 + i * 1e-6 for i in range(30)]
    unknown = [0.0200 + i * 1e-6 for i in range(30)]
    verdict = compare_latencies(known, unknown, kdf_seconds=0.020)
    assert verdict.p_value < 0.01
    assert not verdict.leaks
