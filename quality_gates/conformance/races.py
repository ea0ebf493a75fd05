"""Races as repeated trials: N barrier-started rounds of simultaneous requests, reported as k/N.

One round of simultaneous requests proves little: whether two requests land inside a service's
race window depends on scheduling, so a racy service passes a single round most of the time. A
check therefore runs ``trials`` rounds; in each, every party's thread waits at a barrier and all
are released together, which puts their requests as close together as the client can. A check
fails when any round shows the defect, and says in how many of the N rounds it did.

How likely N rounds are to catch a given window is modelled by ``detection_probability``: the
barrier releases the parties, and scheduling spreads their arrivals over about one request
time, uniformly. A defect whose window is a share ``w`` of the request time shows when the
second arrival falls within ``w`` of the first, which for ``p`` parties happens with probability
``1 - (1 - w) ** p`` a round (the spacings of uniform points are exchangeable). The tests check
the formula against a simulation and against real threads; docs/conformance.md has the table.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

BARRIER_TIMEOUT = 30.0
T = TypeVar("T")


def race(actions: Sequence[Callable[[], T]]) -> list[T]:
    """Run every action in its own thread, all released at once; their results in order.

    An exception in an action propagates (after every thread has finished), so a broken
    request is the check's error, not a silent lost party.
    """
    start = threading.Barrier(len(actions))

    def run(action: Callable[[], T]) -> T:
        start.wait(timeout=BARRIER_TIMEOUT)
        return action()

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        return list(pool.map(run, actions))


@dataclass
class Tally:
    """The rounds of one race check: which showed the defect, and the first one's story."""

    what: str
    """What a bad round shows, as a phrase: "more than one refresh succeeded"."""
    rounds: int = 0
    bad: list[int] = field(default_factory=list)
    first: str = ""

    def record(self, problem: str | None) -> None:
        """Count one round; ``problem`` describes what went wrong in it (``None``: nothing)."""
        if problem is not None:
            self.bad.append(self.rounds)
            self.first = self.first or f"round {self.rounds + 1}: {problem}"
        self.rounds += 1

    @property
    def failed(self) -> bool:
        """Whether any round showed the defect."""
        return bool(self.bad)

    def summary(self) -> str:
        """``k/N rounds: what`` - the line a report shows."""
        return f"{len(self.bad)}/{self.rounds} rounds: {self.what}"

    def verdict(self) -> str:
        """The failure message: the k/N line and the first bad round."""
        return f"{self.summary()} ({self.first})" if self.bad else self.summary()


def round_probability(window_share: float, parties: int) -> float:
    """The chance that one round puts a second request inside the window (see the module doc)."""
    if not 0.0 <= window_share <= 1.0 or parties < 2:
        raise ValueError("window_share must be in [0, 1] and parties >= 2")
    return 1.0 - (1.0 - window_share) ** parties


def detection_probability(window_share: float, parties: int, trials: int) -> float:
    """The chance that at least one of ``trials`` rounds shows the race."""
    return 1.0 - (1.0 - round_probability(window_share, parties)) ** trials
