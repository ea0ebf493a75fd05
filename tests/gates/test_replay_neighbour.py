"""The noisy neighbour of the replay behind a proxy: hammering, and what counts as worse."""

from __future__ import annotations

import asyncio
from typing import cast

import httpx

from quality_gates.replay.client import Api
from quality_gates.replay.neighbour import (
    BYSTANDER_EMAIL,
    MAX_ATTEMPTS,
    Hammering,
    hammer,
    judge,
)


class _Limited:
    """A login endpoint that answers 401 ``limit`` times, then 429 (optionally without a time)."""

    def __init__(self, limit: int | None, *, retry_after: bool = True) -> None:
        self.limit, self.retry_after, self.seen = limit, retry_after, 0
        self.forwarded: set[str] = set()

    async def login_response(
        self, email: str, password: str, headers: dict[str, str]
    ) -> httpx.Response:
        self.seen += 1
        self.forwarded.add(headers["X-Forwarded-For"])
        if self.limit is not None and self.seen > self.limit:
            return httpx.Response(429, headers={"Retry-After": "30"} if self.retry_after else {})
        return httpx.Response(401)


def _hammer(target: _Limited) -> Hammering:
    return asyncio.run(hammer(cast(Api, target), "127.0.0.2", 4))


def test_hammering_stops_at_the_first_429_and_forges_the_header() -> None:
    target = _Limited(300)
    result = _hammer(target)
    assert result.limited
    assert result.retry_after
    # Four in flight: the ones already sent when the first 429 came back are counted too.
    assert 301 <= result.attempts <= 304
    assert target.forwarded == {"127.0.0.2"}


def test_hammering_without_a_limit_stops_at_the_cap() -> None:
    result = _hammer(_Limited(None))
    assert (result.attempts, result.limited) == (MAX_ATTEMPTS, False)


def test_a_429_without_retry_after_is_seen() -> None:
    result = _hammer(_Limited(5, retry_after=False))
    assert result.limited
    assert not result.retry_after


def test_judge() -> None:
    limited = Hammering(301, limited=True, retry_after=True)
    unlimited = Hammering(MAX_ATTEMPTS, limited=False)
    bare = Hammering(301, limited=True, retry_after=False)
    assert judge(limited, limited) == []
    assert judge(unlimited, unlimited) == []  # no limit on either: nothing got worse
    assert judge(unlimited, limited) == []
    (lost,) = judge(limited, unlimited)
    assert "no longer limits" in lost
    assert "after 301" in lost
    assert judge(limited, bare) == [
        "the candidate's 429 to a client over its limit lacks Retry-After"
    ]


class _Bystander:
    """The client at the forged address: answers 429 while ``shared`` says the key is over."""

    def __init__(self, shared: _Limited) -> None:
        self.shared = shared
        self.sent: list[tuple[str, dict[str, str], int]] = []

    async def login_response(
        self, email: str, password: str, headers: dict[str, str]
    ) -> httpx.Response:
        # A target keying on the forged header counts the neighbour's failures as this
        # client's: it is over the limit exactly when the neighbour was limited.
        over = self.shared.limit is not None and self.shared.seen > self.shared.limit
        self.sent.append((email, headers, self.shared.seen))
        return httpx.Response(429 if over else 401)


def test_the_bystander_logs_in_the_moment_the_hammering_stops() -> None:
    target = _Limited(300)
    bystander = _Bystander(target)
    result = asyncio.run(hammer(cast(Api, target), "127.0.0.2", 4, cast(Api, bystander)))
    ((email, headers, seen_then),) = bystander.sent
    assert email == BYSTANDER_EMAIL
    assert headers == {}  # the bystander forges nothing: the proxy writes its real address
    assert seen_then == result.attempts  # after the last hammering request, none in between
    assert result.bystander == 429


def test_a_throttled_bystander_is_a_problem_only_when_the_baseline_let_it_in() -> None:
    right = Hammering(301, limited=True, retry_after=True, bystander=401)
    shared = Hammering(301, limited=True, retry_after=True, bystander=429)
    (problem,) = judge(right, shared)
    assert problem.startswith("one client's failed logins throttle another on the candidate")
    assert "the baseline answered 401" in problem
    assert judge(shared, shared) == []  # the baseline throttled it too: nothing new
    assert judge(right, right) == []
    assert judge(Hammering(301, limited=True, retry_after=True), right) == []
