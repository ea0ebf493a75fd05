"""What each account plays: the requests ``play`` sends, against a scripted server.

The server is an ``httpx.MockTransport`` that knows one account per test and answers as authsvc
does (the address canonicalised by trimming and case folding), so the test sees exactly which
requests went out, in which order, with which e-mail spelling.
"""

from __future__ import annotations

import json
import tomllib

import anyio
import httpx
import pytest

from quality_gates.profile.parse import parse_profile
from quality_gates.replay.client import Api, Result
from quality_gates.replay.play import KINDS, OldTokens, play
from quality_gates.replay.population import Account, Population
from tests.gates._replay import PROFILE

POPULATION = Population(400, seed=11)


class Server:
    """One account's worth of authsvc: login, me, refresh, logout; records every request.

    Logout ends the session: its access token and its refresh token are refused from then
    on, unless ``revokes`` is false (a broken logout).
    """

    def __init__(self, account: Account, *, revokes: bool = True) -> None:
        self.account = account
        self.revokes = revokes
        self.revoked: set[str] = set()
        self.requests: list[tuple[str, str, dict[str, str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        self.requests.append((request.method, request.url.path, body))
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if request.url.path == "/v1/sessions":
            same = body["email"].strip().casefold() == self.account.email.strip().casefold()
            if same and body["password"] == self.account.password:
                return httpx.Response(200, json={"access_token": "a", "refresh_token": "r"})
            return httpx.Response(401)
        if request.url.path == "/v1/sessions/refresh":
            if body["refresh_token"] in self.revoked:
                return httpx.Response(401)
            return httpx.Response(200, json={"access_token": "a2", "refresh_token": "r2"})
        if request.method == "DELETE":
            if self.revokes:
                # The session ends: the access token used here and the refresh token last issued.
                self.revoked |= {bearer, "r2"}
            return httpx.Response(204)
        return httpx.Response(401 if bearer in self.revoked else 200)

    def logins(self) -> list[str]:
        """The e-mail of every login request, in order."""
        return [body["email"] for _, path, body in self.requests if path == "/v1/sessions"]


def replay(
    account: Account,
    old: OldTokens | None = None,
    *,
    knows: Account | None = None,
    revokes: bool = True,
    server: Server | None = None,
) -> tuple[dict[str, Result], Server]:
    """Play ``account`` against ``server``, by default one that holds ``knows`` (default:
    that account)."""
    server = server or Server(knows or account, revokes=revokes)
    profile = parse_profile(tomllib.loads(PROFILE))

    async def main() -> dict[str, Result]:
        transport = httpx.MockTransport(server)
        async with httpx.AsyncClient(transport=transport, base_url="http://replay.test") as http:
            return await play(Api(profile, http), account, old)

    return anyio.run(main), server


#: What the server must refuse in a full play: the wrong password, the ended session's tokens.
REFUSED = ("login-wrong", "me-after-logout", "refresh-after-logout")


def outcomes(results: dict[str, Result]) -> dict[str, str]:
    """Each kind played and its outcome."""
    return {kind: result.outcome for kind, result in results.items()}


def first_of(segment: str) -> Account:
    return next(account for account in POPULATION if account.segment.name == segment)


@pytest.mark.parametrize("segment", ["legacy-pbkdf2", "current", "password-nfd"])
def test_plain_addresses_alternate_the_e_mail_variant(segment: str) -> None:
    """The first account of a segment tries capitals, the second surrounding spaces."""
    first, second = [a for a in POPULATION if a.segment.name == segment][:2]
    for account, variant, kind in (
        (first, first.case_variant, "login-case"),
        (second, second.whitespace_variant, "login-whitespace"),
    ):
        results, server = replay(account)
        assert server.logins() == [account.email, account.email, variant]
        assert list(results) == [
            "login-wrong",
            "login",
            kind,
            "me",
            "refresh",
            "logout",
            "me-after-logout",
            "refresh-after-logout",
        ]
        assert outcomes(results) == {
            **dict.fromkeys(results, "success"),
            **dict.fromkeys(REFUSED, "bad_credentials"),
        }


@pytest.mark.parametrize("segment", ["email-mixed-case", "email-whitespace", "email-unicode"])
def test_e_mail_segments_try_both_variants(segment: str) -> None:
    """Odd addresses are what these segments exist for: every account tries both."""
    for account in [a for a in POPULATION if a.segment.name == segment][:2]:
        results, server = replay(account)
        assert server.logins() == [
            account.email,
            account.email,
            account.case_variant,
            account.whitespace_variant,
        ]
        assert list(results) == [kind for kind in KINDS[2:] if kind != "rollback-login"]
        assert outcomes(results) == {
            **dict.fromkeys(results, "success"),
            **dict.fromkeys(REFUSED, "bad_credentials"),
        }


def test_variants_are_tried_even_when_the_login_fails() -> None:
    """A refused login is the finding, but the variants still show whether they work."""
    results, _ = replay(first_of("email-mixed-case"), knows=first_of("legacy-bcrypt"))
    assert list(results) == ["login-wrong", "login", "login-case", "login-whitespace"]
    assert {result.outcome for result in results.values()} == {"bad_credentials"}


@pytest.mark.parametrize("segment", ["locked", "disabled"])
def test_accounts_that_cannot_log_in_only_try_the_passwords(segment: str) -> None:
    account = first_of(segment)
    results, server = replay(account)
    assert list(results) == ["login-wrong", "login"]
    assert server.logins() == [account.email, account.email]


def test_live_session_users_use_their_old_tokens_first() -> None:
    account = first_of("live-session")
    results, server = replay(account, OldTokens("old-access", "old-refresh"))
    played = ("rollback-login", "login-whitespace")  # the first of its segment: capitals
    assert list(results) == [kind for kind in KINDS if kind not in played]
    assert server.requests[0][:2] == ("GET", "/v1/me")
    assert server.requests[1] == ("POST", "/v1/sessions/refresh", {"refresh_token": "old-refresh"})


def test_tokens_of_an_ended_session_are_tried_again() -> None:
    """After the logout, the access token and the newest refresh token must both be refused."""
    account = first_of("current")
    results, server = replay(account)
    after = server.requests[-2:]
    assert after[0][:2] == ("GET", "/v1/me")
    assert after[1] == ("POST", "/v1/sessions/refresh", {"refresh_token": "r2"})
    assert outcomes(results)["me-after-logout"] == "bad_credentials"
    assert outcomes(results)["refresh-after-logout"] == "bad_credentials"


def test_a_logout_that_ends_nothing_shows_as_successes() -> None:
    """A server whose logout revokes nothing lets both requests in: the tally's security case."""
    results, _ = replay(first_of("current"), revokes=False)
    assert outcomes(results)["me-after-logout"] == "success"
    assert outcomes(results)["refresh-after-logout"] == "success"


def test_no_after_logout_requests_when_the_logout_failed() -> None:
    """A failed logout is its own finding; nothing was ended, so nothing is retried."""

    class NoLogout(Server):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            if request.method == "DELETE":
                self.requests.append((request.method, request.url.path, {}))
                return httpx.Response(500)
            return super().__call__(request)

    account = first_of("current")
    results, _ = replay(account, server=NoLogout(account))
    assert outcomes(results)["logout"] == "error"
    assert "me-after-logout" not in results
    assert "refresh-after-logout" not in results
