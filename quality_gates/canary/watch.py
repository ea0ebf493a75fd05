"""The watch loop: read both versions' counters every interval until there is a decision.

A :class:`Side` is one version: a function that reads its login counter (from ``/metrics`` or
from Prometheus), grouped by replica, and one :class:`CounterTrack` per replica, so a replica
restarting counts as new attempts rather than a negative number.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from quality_gates.canary.decision import Criteria, Decision, Sample, decide
from quality_gates.canary.metrics import CounterTrack, ScrapeError
from quality_gates.canary.prometheus import Groups, QueryError
from quality_gates.errors import InputError

#: Consecutive failed readings that mean the canary is down (direct mode: roll back) or
#: that Prometheus is unreachable (bad input).
MAX_SCRAPE_FAILURES = 3

Reader = Callable[[httpx.Client], Groups | None]


@dataclass
class Side:
    """One version: how to read its counters, and what was read so far."""

    read: Reader
    absent: str  # what to say when the counter is not there: "metric X not found on the canary"
    tracks: dict[str, CounterTrack] = field(default_factory=dict)  # one per replica
    failures: int = 0
    missing: bool = False
    error: str = ""

    def poll(self, client: httpx.Client) -> None:
        """Read once; a failed reading is counted, a refused query is bad input."""
        try:
            groups = self.read(client)
        except ScrapeError as exc:
            self.failures, self.error = self.failures + 1, str(exc)
            return
        except QueryError as exc:  # Prometheus refused the query: asking again will not help
            raise InputError(f"canary: {exc}") from None
        self.failures, self.missing = 0, groups is None
        for replica, counts in (groups or {}).items():
            self.tracks.setdefault(replica, CounterTrack()).observe(counts)

    def sample(self, criteria: Criteria) -> Sample:
        """Attempts by outcome since the first reading, summed over the replicas."""
        totals: dict[str, float] = {}
        for track in self.tracks.values():
            for outcome, count in track.total.items():
                totals[outcome] = totals.get(outcome, 0.0) + count
        return Sample.from_counts(totals, criteria)


@dataclass(frozen=True)
class Timing:
    """How often and how long to watch; ``shared_source`` when both sides ask one server."""

    interval: float
    duration: float
    shared_source: bool = False


def _final_check(canary: Side, baseline: Side) -> Decision | None:
    """At the end of the watch: a side without data makes the decision inconclusive."""
    for side in (canary, baseline):
        if side.missing:
            return Decision("inconclusive", side.absent)
    if baseline.failures:
        return Decision("inconclusive", f"the baseline's metrics did not answer: {baseline.error}")
    return None


def watch(
    canary: Side,
    baseline: Side,
    criteria: Criteria,
    timing: Timing,
    *,
    sleep: Callable[[float], None] = time.sleep,
    status: Callable[[str], None] = lambda _: None,
) -> tuple[Decision, Sample, Sample, int]:
    """Poll until a decision; returns it with both samples and the number of polls.

    Raises :class:`InputError` when Prometheus refuses the query or does not answer.
    """
    polls = 0
    with httpx.Client(timeout=min(timing.interval, 10.0), trust_env=False) as client:
        # From here: building the client (its TLS context) can take a loaded machine 0.3 s.
        started = time.monotonic()
        while True:
            canary.poll(client)
            baseline.poll(client)
            polls += 1
            c_sample, b_sample = canary.sample(criteria), baseline.sample(criteria)
            final = time.monotonic() - started + timing.interval > timing.duration
            if canary.failures >= MAX_SCRAPE_FAILURES:
                if timing.shared_source:  # Prometheus is down, not (necessarily) the canary
                    raise InputError(f"canary: {canary.error} ({canary.failures} times in a row)")
                down = f"the canary's metrics did not answer {canary.failures} times in a row"
                return Decision("rollback", f"{down}: {canary.error}"), c_sample, b_sample, polls
            decision = decide(c_sample, b_sample, criteria, final=final)
            if final and (verdict := _final_check(canary, baseline)) is not None:
                decision = verdict
            elapsed = time.monotonic() - started
            status(f"canary: {elapsed:.0f}/{timing.duration:.0f}s {decision.reason}")
            if decision.kind != "continue":
                return decision, c_sample, b_sample, polls
            sleep(timing.interval)
