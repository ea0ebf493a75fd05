"""Counters the target exposes (profile ``[counters]``), read from both versions after the replay.

Timing cannot see every cost regression: at the bug zoo's fast hashing, a second hash per login
is lost in the noise of the request itself. A counter does not depend on the machine. The
rehash rule: a stored hash is rewritten at most once per account (after that it is current),
so a version that counts more rehashes than first logins rehashes some account more than once,
which is rehashing on every login. An intended parameter upgrade rewrites each account once and
passes. A first login is one per account, except that simultaneous first logins (the races) may
each find the hash stale, so each counts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

from quality_gates.replay.client import Result
from quality_gates.replay.launch import Server
from quality_gates.replay.play import LOGIN_KINDS
from quality_gates.replay.races import FIRST_LOGINS, RACE_FIRST_LOGIN

_LABEL = re.compile(r'([A-Za-z_]\w*)="([^"]*)"')


def read_counter(text: str, selector: str) -> float | None:
    """The sum of the samples ``selector`` (``name{label="value",...}``) matches, or ``None``."""
    name, _, rest = selector.partition("{")
    wanted = dict(_LABEL.findall(rest))
    names = {name, f"{name}_total"}
    found: float | None = None
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name in names and wanted.items() <= sample.labels.items():
                    found = (found or 0.0) + float(sample.value)
    except (ValueError, TypeError, IndexError):
        return None  # not Prometheus text: the counter is not there to compare
    return found


def scrape(server: Server, path: str, selector: str) -> float | None:
    """``selector``'s value on ``server``, or ``None`` when it does not answer or lacks it."""
    try:
        response = httpx.get(server.base_url.rstrip("/") + path, timeout=10.0)
    except httpx.HTTPError:
        return None
    return read_counter(response.text, selector) if response.status_code == 200 else None


def first_logins(side: Mapping[str, Result]) -> int:
    """How many of one account's logins may rehash: one, or every login of a first-login race.

    Racing first logins all read the stale hash before any writes the new one, so each may
    rewrite it: an intended parameter upgrade then counts up to ``FIRST_LOGINS`` rehashes for
    that account, which is not rehashing on every login.
    """
    if RACE_FIRST_LOGIN in side:
        return FIRST_LOGINS
    return int(any(r.outcome == "success" for k, r in side.items() if k in LOGIN_KINDS))


@dataclass
class FirstLogins:
    """First logins on each version over the replay: the rehash rule's bound."""

    baseline: int = 0
    candidate: int = 0

    def add(self, baseline: Mapping[str, Result], candidate: Mapping[str, Result]) -> None:
        """Count one account's first logins on each version."""
        self.baseline += first_logins(baseline)
        self.candidate += first_logins(candidate)


@dataclass(frozen=True)
class Rehashes:
    """Rehashes counted by each version during the replay, and first logins on each."""

    baseline: float
    candidate: float
    baseline_logins: int
    candidate_logins: int

    def problem(self) -> str:
        """Why the candidate rehashes too often (``""`` when it does not)."""
        if self.candidate <= self.candidate_logins or self.baseline > self.baseline_logins:
            return ""
        return (
            f"rehashes: the candidate rewrote {self.candidate:.0f} password hashes for "
            f"{self.candidate_logins} first logins (the baseline {self.baseline:.0f} for "
            f"{self.baseline_logins}): it rehashes on every login"
        )


def count_rehashes(
    path: str, selector: str, servers: tuple[Server, Server], logins: FirstLogins
) -> Rehashes | None:
    """Both versions' rehash counters (``None`` when either lacks it, or none is named)."""
    if not selector:
        return None
    base, cand = (scrape(server, path, selector) for server in servers)
    if base is None or cand is None:
        return None
    return Rehashes(base, cand, logins.baseline, logins.candidate)
