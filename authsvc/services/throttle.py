"""Per-client rate limiting, and working out who the client is.

The limit is kept in memory, per process: an approximate sliding window (two fixed-window
counters, the previous one weighted by how much of it still overlaps the window), which
costs O(1) memory per client however high the limit. With N workers a client gets up to
N times the limit; the per-account lockout, which lives in the database, is the control
that must hold exactly.
"""

from __future__ import annotations

import ipaddress
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from authsvc.clock import Clock
from authsvc.config import IPNetwork

__all__ = ["ClientRateLimiter", "client_address"]

# Longest client key kept: an X-Forwarded-For entry is attacker-written text.
_MAX_KEY_LENGTH = 64


@dataclass
class _Window:
    start: float
    current: int
    previous: int


class ClientRateLimiter:
    """Allows ``limit`` attempts per client per ``window_seconds``; ``limit=0`` disables it."""

    def __init__(
        self, limit: int, clock: Clock, *, window_seconds: float = 60.0, max_clients: int = 65_536
    ) -> None:
        if limit < 0 or window_seconds <= 0 or max_clients < 1:
            raise ValueError("limit >= 0, window_seconds > 0 and max_clients >= 1 required")
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._max_clients = max_clients
        self._clients: OrderedDict[str, _Window] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, client: str) -> int | None:
        """Count an attempt by ``client``; return ``None`` if allowed, else Retry-After seconds.

        Refused attempts are not counted, so a client that backs off as told gets in.
        """
        return self._check(client, count=True)

    def retry_after(self, client: str) -> int | None:
        """Like :meth:`hit`, without counting: is ``client`` over its limit right now?"""
        return self._check(client, count=False)

    def _check(self, client: str, *, count: bool) -> int | None:
        if self.limit == 0:
            return None
        now = self._clock.now().timestamp()
        with self._lock:
            state = self._window_for(client, now)
            elapsed = (now - state.start) / self.window
            estimate = state.previous * (1.0 - elapsed) + state.current
            if estimate + 1 > self.limit:
                return self._retry_after(state, now)
            if count:
                state.current += 1
            return None

    def _window_for(self, client: str, now: float) -> _Window:
        start = now - (now % self.window)
        state = self._clients.get(client)
        if state is None:
            state = _Window(start=start, current=0, previous=0)
            self._clients[client] = state
            if len(self._clients) > self._max_clients:
                self._clients.popitem(last=False)  # forget the least recently seen client
        else:
            self._clients.move_to_end(client)
            if start > state.start:
                # One window later, "current" becomes "previous"; more than one, both expire.
                adjacent = start - state.start <= self.window
                state.previous = state.current if adjacent else 0
                state.current = 0
                state.start = start
        return state

    def _retry_after(self, state: _Window, now: float) -> int:
        # Allowed again once previous * (1 - elapsed) + current + 1 <= limit. The weight
        # of the previous window decays linearly across the current one.
        if state.current + 1 > self.limit:
            # Not before this window ends; then this window's count is the one decaying.
            start, previous, current = state.start + self.window, state.current, 0
        else:
            start, previous, current = state.start, state.previous, state.current
        fraction = 1.0 - (self.limit - 1 - current) / previous
        return max(1, math.ceil(start + fraction * self.window - now))


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address: str, trusted: Sequence[IPNetwork]) -> bool:
    ip = _parse_ip(address)
    return ip is not None and any(ip in network for network in trusted)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[IPNetwork]
) -> str:
    """Return the address to rate-limit: the peer, or who a trusted proxy says it serves.

    ``X-Forwarded-For`` is believed only when the direct peer is a trusted proxy; then the
    right-most address that is *not* a trusted proxy is the client (anything left of it
    was written by the client itself and may be forged). ``forwarded_for`` holds every
    X-Forwarded-For header value, in order.
    """
    if peer is None:
        return "unknown"
    if not forwarded_for or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            ip = _parse_ip(hop)
            return str(ip) if ip is not None else hop[:_MAX_KEY_LENGTH]
    # Every hop is a trusted proxy: the left-most is the origin.
    return hops[0] if hops else peer
