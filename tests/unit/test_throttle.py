"""The per-client rate limiter and client address resolution."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

import pytest

from authsvc.clock import ManualClock
from authsvc.config import IPNetwork
from authsvc.services.throttle import ClientRateLimiter, client_address


@pytest.fixture
def clock() -> ManualClock:
    """Aligned to a window start, so arithmetic in the tests is exact."""
    return ManualClock(datetime(2030, 1, 1, 12, 0, tzinfo=UTC))


def test_allows_up_to_the_limit(clock: ManualClock) -> None:
    """limit attempts pass, the next is refused with a Retry-After."""
    limiter = ClientRateLimiter(3, clock)
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    assert limiter.hit("a") == 80  # the full window, then a third of the next
    assert limiter.hit("b") is None


def test_window_slides(clock: ManualClock) -> None:
    """The previous window's count decays linearly."""
    limiter = ClientRateLimiter(4, clock)
    for _ in range(4):
        limiter.hit("a")
    clock.advance(60)
    assert limiter.hit("a") == 15  # 4 * (1 - f) + 1 <= 4 once f >= 1/4
    clock.advance(15)
    assert limiter.hit("a") is None


def test_retry_after_is_honest(clock: ManualClock) -> None:
    """Waiting as long as told always gets the client in."""
    limiter = ClientRateLimiter(5, clock)
    allowed = 0
    for _ in range(200):
        wait = limiter.hit("a")
        if wait is None:
            allowed += 1
            clock.advance(1)
        else:
            clock.advance(wait)
            assert limiter.hit("a") is None
            allowed += 1
    assert allowed == 200


def test_long_idle_forgets(clock: ManualClock) -> None:
    """Two windows later, nothing is remembered."""
    limiter = ClientRateLimiter(1, clock)
    limiter.hit("a")
    clock.advance(121)
    assert limiter.hit("a") is None


def test_zero_disables(clock: ManualClock) -> None:
    """limit=0 means no limit."""
    limiter = ClientRateLimiter(0, clock)
    assert all(limiter.hit("a") is None for _ in range(1000))


def test_memory_is_bounded(clock: ManualClock) -> None:
    """The least recently seen client is forgotten past max_clients."""
    limiter = ClientRateLimiter(1, clock, max_clients=2)
    limiter.hit("a")
    limiter.hit("b")
    limiter.hit("c")
    assert limiter.hit("a") is None  # forgotten, so allowed again
    assert limiter.hit("c") is not None


def test_invalid_configuration(clock: ManualClock) -> None:
    """Negative limits and empty windows are programming errors."""
    with pytest.raises(ValueError, match="limit"):
        ClientRateLimiter(-1, clock)
    with pytest.raises(ValueError, match="window"):
        ClientRateLimiter(1, clock, window_seconds=0)


TRUSTED: list[IPNetwork] = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128")]


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.5", [], "203.0.113.5"),
        ("203.0.113.5", ["1.2.3.4"], "203.0.113.5"),  # untrusted peer: XFF ignored
        ("10.0.0.1", [], "10.0.0.1"),
        ("10.0.0.1", ["198.51.100.9"], "198.51.100.9"),
        ("10.0.0.1", ["6.6.6.6, 198.51.100.9, 10.0.0.2"], "198.51.100.9"),
        ("10.0.0.1", ["6.6.6.6", "198.51.100.9, 10.0.0.2"], "198.51.100.9"),
        ("10.0.0.1", ["10.0.0.9, 10.0.0.2"], "10.0.0.9"),  # all trusted: the origin
        ("::1", ["2001:db8::1"], "2001:db8::1"),
        ("10.0.0.1", ["garbage-value"], "garbage-value"),
        ("10.0.0.1", [" , "], "10.0.0.1"),
        (None, ["1.2.3.4"], "unknown"),
    ],
)
def test_client_address(peer: str | None, forwarded: list[str], expected: str) -> None:
    """X-Forwarded-For only from trusted proxies; the right-most untrusted hop wins."""
    assert client_address(peer, forwarded, TRUSTED) == expected


def test_client_address_without_trusted_proxies() -> None:
    """No trusted proxies configured: always the peer."""
    assert client_address("10.0.0.1", ["1.2.3.4"], []) == "10.0.0.1"


def test_long_garbage_is_truncated() -> None:
    """Attacker-written text is cut short before it becomes a key."""
    assert len(client_address("10.0.0.1", ["z" * 1000], TRUSTED)) == 64
