"""Lock-step pairing (quality_gates/replay/pairing.py): each request leaves for both versions
together, whichever version answers slower, and which one goes first alternates.

Two scripted servers (test_replay_play's ``Server``) behind ``httpx.MockTransport``; the
candidate answers every request 20 ms late. Both log every request as it arrives, in one list,
so the test sees how the two versions' requests interleave.
"""

from __future__ import annotations

import asyncio
import itertools
import tomllib

import httpx

from quality_gates.profile.parse import parse_profile
from quality_gates.replay.client import Api
from quality_gates.replay.pairing import Played, play_pair
from quality_gates.replay.play import play
from quality_gates.replay.population import Account
from tests.gates._replay import PROFILE
from tests.gates.test_replay_play import Server, first_of

SLOW = 0.02


def _both(
    account: Account, *, candidate_knows: Account | None = None, lockstep: bool = True
) -> tuple[tuple[Played, Played], list[tuple[str, str]]]:
    """Play ``account`` on both servers; the results and every arrival as (version, path)."""
    arrivals: list[tuple[str, str]] = []
    profile = parse_profile(tomllib.loads(PROFILE))

    def transport(version: str, server: Server, delay: float) -> httpx.MockTransport:
        async def handle(request: httpx.Request) -> httpx.Response:
            arrivals.append((version, request.url.path))
            await asyncio.sleep(delay)
            return server(request)

        return httpx.MockTransport(handle)

    async def main() -> tuple[Played, Played]:
        async with (
            httpx.AsyncClient(
                transport=transport("baseline", Server(account), 0.0), base_url="http://b.test"
            ) as bc,
            httpx.AsyncClient(
                transport=transport("candidate", Server(candidate_knows or account), SLOW),
                base_url="http://c.test",
            ) as cc,
        ):
            base, cand = Api(profile, bc), Api(profile, cc)
            if lockstep:
                return await asyncio.wait_for(play_pair(base, cand, account, None), 10)
            played = await asyncio.gather(play(base, account, None), play(cand, account, None))
            return played[0], played[1]

    return asyncio.run(main()), arrivals


def test_each_request_leaves_for_both_versions_together() -> None:
    account = first_of("current")
    (base, cand), arrivals = _both(account)
    assert list(base) == list(cand)
    assert len(arrivals) == 2 * len(base) == 16
    meetings = [arrivals[i : i + 2] for i in range(0, len(arrivals), 2)]
    for meeting in meetings:
        # One request of each version, to the same endpoint, before either sends its next.
        assert {version for version, _ in meeting} == {"baseline", "candidate"}
        assert meeting[0][1] == meeting[1][1]
    # Who is first alternates: the client's order of sending favours neither version.
    firsts = [meeting[0][0] for meeting in meetings]
    assert firsts.count("baseline") == firsts.count("candidate") == 4
    assert all(a != b for a, b in itertools.pairwise(firsts))


def test_without_lockstep_the_faster_version_runs_ahead() -> None:
    """The drift the lock-step removes: what the first test would see without it."""
    _, arrivals = _both(first_of("current"), lockstep=False)
    versions = [version for version, _ in arrivals]
    assert versions[:2] == ["baseline", "candidate"]
    # The baseline's whole play is sent while the slow candidate is still on its first request.
    assert versions[2:9] == ["baseline"] * 7


def test_a_version_that_stops_early_is_not_waited_for() -> None:
    """The candidate refuses the login (a regression): the baseline plays on alone."""
    account = first_of("current")
    (base, cand), arrivals = _both(account, candidate_knows=first_of("legacy-bcrypt"))
    assert list(cand) == ["login-wrong", "login", "login-case"]
    assert cand["login"].outcome == "bad_credentials"
    assert base["logout"].outcome == "success"
    assert len(base) == 8
    assert [v for v, _ in arrivals].count("candidate") == 3
