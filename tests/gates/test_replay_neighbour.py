"""The noisy neighbour of the replay behind a proxy: hammering, and what counts as worse."""

from __future__ import annotations

import asyncio
from typing import cast

import httpx

from quality_gates.replay.client import Api
from quality_gates.replay.neighbour import MAX_ATTEMPTS, Hammering, hammer, judge


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
