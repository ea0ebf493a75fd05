"""Races as repeated trials: the barrier runner, the k/N tally and the detection model.

The model (``races.detection_probability``) is checked two ways: against a Monte Carlo
simulation of its own assumptions, and against real threads released by ``race`` on an
in-process object with a check-then-act window - the shape of a double-redeemed refresh token.
docs/conformance.md quotes the table ``DOCUMENTED`` pins.
"""

from __future__ import annotations

import random
import threading
import time
from functools import partial

import pytest

from quality_gates.conformance.races import (
    Tally,
    detection_probability,
    race,
    round_probability,
)

SIMULATED_ROUNDS = 20_000
#: (window share, parties, trials) -> detection probability, as docs/conformance.md states it.
DOCUMENTED = {
    (0.02, 4, 20): 0.80,
    (0.05, 2, 20): 0.88,
    (0.05, 4, 20): 0.98,
    (0.10, 4, 20): 1.00,
    (0.02, 4, 50): 0.98,
}


def _simulated_round(rng: random.Random, window: float, parties: int) -> bool:
    """One round under the model: arrivals uniform over one request time; the defect shows when
    the second arrival is within ``window`` of the first."""
    first, second = sorted(rng.random() for _ in range(parties))[:2]
    return second - first < window


@pytest.mark.parametrize(("window", "parties"), [(0.02, 4), (0.05, 2), (0.05, 4), (0.1, 4)])
def test_the_round_probability_matches_a_simulation(window: float, parties: int) -> None:
    rng = random.Random(14)
    hits = sum(_simulated_round(rng, window, parties) for _ in range(SIMULATED_ROUNDS))
    assert hits / SIMULATED_ROUNDS == pytest.approx(round_probability(window, parties), abs=0.015)


@pytest.mark.parametrize(("case", "documented"), DOCUMENTED.items())
def test_the_documented_detection_table(case: tuple[float, int, int], documented: float) -> None:
    window, parties, trials = case
    rng = random.Random(1414)
    runs = 2000
    caught = sum(
        any(_simulated_round(rng, window, parties) for _ in range(trials)) for _ in range(runs)
    )
    assert caught / runs == pytest.approx(documented, abs=0.025)
    assert detection_probability(window, parties, trials) == pytest.approx(documented, abs=0.01)


def test_the_model_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="parties >= 2"):
        round_probability(0.1, 1)
    with pytest.raises(ValueError, match="window_share"):
        round_probability(1.5, 2)


class _Voucher:
    """A one-time token redeemed with a check-then-act window, like a racy refresh endpoint."""

    def __init__(self, window: float, *, atomic: bool) -> None:
        self.window = window
        self.lock = threading.Lock() if atomic else None
        self.spent = False

    def _redeem(self) -> bool:
        if self.spent:
            return False
        time.sleep(self.window)  # between reading "unused" and writing "spent"
        self.spent = True
        return True

    def redeem(self) -> bool:
        if self.lock is None:
            return self._redeem()
        with self.lock:
            return self._redeem()


def _double_redeems(window: float, *, atomic: bool, trials: int = 20) -> Tally:
    tally = Tally("more than one redemption")
    for _ in range(trials):
        voucher = _Voucher(window, atomic=atomic)
        wins = sum(race([voucher.redeem] * 4))
        tally.record(f"{wins} redemptions" if wins > 1 else None)
    return tally


def test_barrier_started_rounds_catch_a_real_check_then_act_window() -> None:
    tally = _double_redeems(0.005, atomic=False)
    assert tally.failed
    assert len(tally.bad) >= 10, tally.summary()  # a 5 ms window is wide: most rounds show it


def test_an_atomic_redeem_is_never_reported() -> None:
    tally = _double_redeems(0.005, atomic=True)
    assert not tally.failed, tally.verdict()
    assert tally.summary() == "0/20 rounds: more than one redemption"


def test_race_releases_every_party_together_and_keeps_order() -> None:
    arrived: list[float] = []

    def party(index: int) -> int:
        arrived.append(time.perf_counter())
        return index

    results = race([partial(party, i) for i in range(6)])
    assert results == list(range(6))
    assert max(arrived) - min(arrived) < 0.5


def test_a_failing_party_is_the_checks_error() -> None:
    def broken() -> int:
        raise RuntimeError("connection reset")

    with pytest.raises(RuntimeError, match="connection reset"):
        race([lambda: 1, broken])


def test_the_tally_reports_k_of_n_and_the_first_bad_round() -> None:
    tally = Tally("two successes")
    for problem in (None, "2 succeeded", None, "3 succeeded"):
        tally.record(problem)
    assert tally.failed
    assert tally.bad == [1, 3]
    assert tally.verdict() == "2/4 rounds: two successes (round 2: 2 succeeded)"
