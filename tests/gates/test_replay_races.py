"""Races on one account (``quality_gates.replay.races``), against a scripted async server.

The server answers like authsvc, with a short await inside each request so that requests sent
together overlap, and it can be broken the way a hurried change breaks a race: a first-login
hash upgrade that fails when another is under way, a refresh token that is checked and spent in
two steps. The races must release their requests together, hold on the right server and name
the broken rule on the wrong one.
"""

from __future__ import annotations

import asyncio
import json
import tomllib

import anyio
import httpx
import pytest

from quality_gates.profile.parse import parse_profile
from quality_gates.replay.client import Api, Result
from quality_gates.replay.play import must_succeed
from quality_gates.replay.population import Account, Population
from quality_gates.replay.races import (
    FIRST_LOGINS,
    RACE_KINDS,
    judge_double_refresh,
    judge_login_password,
    play_races,
    raced,
)
from quality_gates.replay.tally import Tally
from quality_gates.replay.verdict import Rules, judge, kind_table
from tests.gates._replay import PROFILE

PROFILE_WITHOUT_PASSWORD = PROFILE.replace(
    '[endpoints.change_password]\nmethod = "POST"\npath = "/v1/me/password"\nsuccess = [204]\n', ""
)
PROFILE_WITHOUT_LOGOUT = PROFILE.replace(
    '[endpoints.logout]\nmethod = "DELETE"\npath = "/v1/sessions/current"\nsuccess = [204]\n', ""
)
POPULATION = Population(400, seed=5)
ACCOUNT = next(a for a in POPULATION if a.segment.name == "legacy-bcrypt")


class RacyServer:
    """One imported account; ``upgrade_race`` and ``split_refresh`` are the two bugs."""

    def __init__(
        self, account: Account, *, upgrade_race: bool = False, split_refresh: bool = False
    ) -> None:
        self.email, self.password = account.email, account.password
        self.upgrade_race, self.split_refresh = upgrade_race, split_refresh
        self.upgrading = self.upgraded = False
        self.spent: set[str] = set()
        self.revoked: set[str] = set()  # access tokens of logged-out sessions
        self.issued = 0
        self.in_flight = self.peak = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            return await self.answer(request, json.loads(request.content or b"{}"))
        finally:
            self.in_flight -= 1

    def tokens(self) -> httpx.Response:
        self.issued += 1
        return httpx.Response(
            200, json={"access_token": f"a{self.issued}", "refresh_token": f"r{self.issued}"}
        )

    async def answer(self, request: httpx.Request, body: dict[str, str]) -> httpx.Response:
        path = request.url.path
        if path == "/v1/sessions":
            return await self.login(body)
        if path == "/v1/sessions/refresh":
            return await self.refresh(body["refresh_token"])
        await asyncio.sleep(0.01)
        access = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if request.method == "DELETE":
            self.revoked.add(access)
            return httpx.Response(204)
        if access in self.revoked:
            return httpx.Response(401)
        return self.change_password(body) if path == "/v1/me/password" else httpx.Response(200)

    def change_password(self, body: dict[str, str]) -> httpx.Response:
        if body["current_password"] != self.password:
            return httpx.Response(401)
        self.password = body["new_password"]
        return httpx.Response(204)

    async def login(self, body: dict[str, str]) -> httpx.Response:
        if body["email"] != self.email or body["password"] != self.password:
            await asyncio.sleep(0.01)
            return httpx.Response(401)
        if not self.upgraded:
            if self.upgrading and self.upgrade_race:
                return httpx.Response(500)  # the insert of the new hash hit the first one's
            self.upgrading = True
            await asyncio.sleep(0.01)  # verifying the legacy hash, hashing the new one
            self.upgraded = True
        return self.tokens()

    async def refresh(self, token: str) -> httpx.Response:
        if token in self.spent:
            return httpx.Response(401)
        if self.split_refresh:
            await asyncio.sleep(0.01)  # checked, then spent: both requests get through
        self.spent.add(token)
        await asyncio.sleep(0.01)
        return self.tokens()


def race(server: RacyServer, profile: str = PROFILE) -> dict[str, Result]:
    parsed = parse_profile(tomllib.loads(profile))

    async def main() -> dict[str, Result]:
        transport = httpx.MockTransport(server)
        async with httpx.AsyncClient(transport=transport, base_url="http://replay.test") as http:
            return await play_races(Api(parsed, http), ACCOUNT)

    return anyio.run(main)


def test_every_race_holds_on_a_right_server_and_is_sent_at_once() -> None:
    server = RacyServer(ACCOUNT)
    results = race(server)
    assert list(results) == list(RACE_KINDS)
    assert {kind: r.outcome for kind, r in results.items()} == dict.fromkeys(RACE_KINDS, "success")
    assert server.peak >= FIRST_LOGINS, "the first logins were not in flight together"
    assert server.password == ACCOUNT.password, "the password race must set the password back"


def test_a_first_login_that_fails_under_a_concurrent_upgrade_breaks_the_race() -> None:
    results = race(RacyServer(ACCOUNT, upgrade_race=True))
    first = results["race-first-login"]
    assert first.outcome == "error"
    assert f"{FIRST_LOGINS - 1} of {FIRST_LOGINS} simultaneous first logins failed" in first.detail
    assert "error (500)" in first.detail
    assert list(results) == ["race-first-login"], "no session for the races that follow"


def test_a_refresh_token_spent_twice_at_once_breaks_the_race() -> None:
    results = race(RacyServer(ACCOUNT, split_refresh=True))
    assert results["race-refresh"].outcome == "error"
    assert "succeeded 2 times" in results["race-refresh"].detail
    assert results["race-first-login"].outcome == "success"


def test_without_a_password_endpoint_that_race_is_not_played() -> None:
    assert list(race(RacyServer(ACCOUNT), PROFILE_WITHOUT_PASSWORD)) == list(RACE_KINDS[:3])


def test_the_password_changes_on_a_live_session() -> None:
    """The logout race ends the second session: the change must use the login that raced it."""
    server = RacyServer(ACCOUNT)
    results = race(server)
    assert server.revoked, "the logout race logged a session out"
    assert results["race-login-password"].outcome == "success", results["race-login-password"]
    # Without a logout endpoint the second first-login session is still live and changes it.
    server = RacyServer(ACCOUNT)
    results = race(server, PROFILE_WITHOUT_LOGOUT)
    assert list(results) == ["race-first-login", "race-refresh", "race-login-password"]
    assert results["race-login-password"].outcome == "success"
    assert server.password == ACCOUNT.password


def ok(status: int) -> Result:
    return Result("success", status)


REFUSED = Result("bad_credentials", 401)
ERROR = Result("error", 500)


@pytest.mark.parametrize(
    ("outcomes", "held"),
    [
        ([ok(200), REFUSED], True),
        ([REFUSED, ok(200)], True),
        ([ok(200), ok(200)], False),
        ([REFUSED, REFUSED], False),
        ([ok(200), ERROR], False),
    ],
)
def test_double_refresh_allows_exactly_one_success(outcomes: list[Result], held: bool) -> None:
    assert (judge_double_refresh(outcomes) == "") is held


@pytest.mark.parametrize(
    ("login", "change", "restored", "held"),
    [
        (ok(200), ok(204), [ok(200), ok(204)], True),
        (REFUSED, ok(204), [ok(200), ok(204)], True),  # the login landed after the change
        (ERROR, ok(204), [ok(200), ok(204)], False),
        (ok(200), ERROR, [], False),
        (ok(200), ok(204), [REFUSED], False),
    ],
)
def test_login_racing_a_password_change(
    login: Result, change: Result, restored: list[Result], held: bool
) -> None:
    assert (judge_login_password(login, change, restored) == "") is held


def test_a_seeded_share_of_each_imported_segment_is_raced() -> None:
    population = Population(4000, seed=3)
    chosen = [a for a in population if raced(a, 0.10)]
    assert {a.segment.source for a in chosen} == {"import"}
    assert all(a.segment.can_log_in for a in chosen)
    imported = [a for a in population if a.segment.source == "import" and a.segment.can_log_in]
    assert 0.07 < len(chosen) / len(imported) < 0.14
    assert chosen == [a for a in population if raced(a, 0.10)], "the draw must be seeded"
    assert not any(raced(a, 0.0) for a in population)
    # Every imported segment, even one sampled at a few accounts, races its first account.
    for name in {a.segment.name for a in imported}:
        first = next(a for a in imported if a.segment.name == name)
        assert first in chosen, f"segment {name}: its first account is not raced"
    small = Population(300, seed=3)
    sampled = {a.segment.name for a in small if a.segment.sample and raced(a, 0.10)}
    assert "legacy-bcrypt-12" in sampled


def test_a_race_broken_on_the_candidate_only_fails_the_verdict_by_kind() -> None:
    tally = Tally()
    held = {kind: Result("success", 200) for kind in RACE_KINDS}
    broken = {**held, "race-first-login": Result("error", None, "1 of 3 ... error (500)")}
    assert must_succeed(ACCOUNT, "race-first-login")
    tally.add_account(ACCOUNT, held, broken)
    verdict = judge(tally, Rules(), mode="ab", accounts=1, order=[ACCOUNT.segment.name])
    assert verdict.status == "fail"
    assert "race-first-login" in verdict.summary
    rows = {row[0]: row for row in kind_table(tally).rows}
    assert rows["race-first-login"][5] == "1"  # b: right on the baseline only
    assert rows["race-refresh"][5] == "0"
    # The same broken race on both versions is the baseline's, not the candidate's, fault.
    both = Tally()
    both.add_account(ACCOUNT, broken, broken)
    assert judge(both, Rules(), mode="ab", accounts=1, order=[ACCOUNT.segment.name]).status == (
        "pass"
    )
