# ruff: noqa: S101 - pytest tests: a failed assert is the verdict, with its message
"""Ownership of sessions: properties 60-62.

Two accounts, A (the victim) and B (signed in, hostile). Whatever B sends - A's refresh token to
logout, revoke or refresh, or B's own logout and password change - A's session must be left as
it was: A's access token still opens ``me`` and A's refresh token still refreshes.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from quality_gates.conformance.client import TargetClient, TokenPair
from quality_gates.conformance.properties._lockout import before_credentials
from quality_gates.conformance.properties._support import endpoint, prop, skip
from quality_gates.conformance.target import Target


@dataclass
class _Victim:
    """A's session, and what ``me`` shows A (to tell A from B)."""

    pair: TokenPair
    identity: bytes


def _victim(client: TargetClient, target: Target) -> _Victim:
    before_credentials(client, target)  # no logins once the client is locked out
    pair = client.session(client.account(tag="victim"))
    me = client.me(pair.access)
    assert client.ok("me", me), f"a fresh access token does not open me ({me.status_code})"
    return _Victim(pair, me.content)


def _check_alive(client: TargetClient, victim: _Victim, after: str) -> None:
    """A's access token still works and, when the target has refresh, so does A's refresh token
    (which rotates it: ``victim`` is updated)."""
    me = client.me(victim.pair.access)
    if not client.ok("me", me):
        client.decide(me)
        raise AssertionError(f"{after}, the other account's access token is refused")
    if client.profile.endpoint("refresh") is None or victim.pair.refresh is None:
        return
    refreshed = client.refresh(victim.pair.refresh)
    if not client.ok("refresh", refreshed):
        client.decide(refreshed)
        raise AssertionError(f"{after}, the other account's refresh token is refused")
    new = client.tokens(refreshed)
    victim.pair = TokenPair(new.access or victim.pair.access, new.refresh or victim.pair.refresh)


def _with_refresh_token(client: TargetClient) -> list[str]:
    """The endpoints that take a refresh token to end a session."""
    names = []
    logout = client.profile.endpoint("logout")
    if logout is not None and "refresh_token" in logout.fields:
        names.append("logout")
    if client.profile.endpoint("revoke") is not None:
        names.append("revoke")
    return names


@prop("60")
def test_another_accounts_refresh_token_ends_nothing(client: TargetClient, target: Target) -> None:
    """B logs out / revokes with A's refresh token: A's session survives."""
    names = _with_refresh_token(client)
    if not names:
        skip(
            "not applicable: [endpoints.logout] takes no refresh_token and the profile has no "
            "[endpoints.revoke]"
        )
    victim = _victim(client, target)
    for name in names:
        attacker = client.session(client.account(tag="attacker"))
        values = {"refresh_token": victim.pair.refresh}
        response = client.call(name, values, token=attacker.access)
        client.decide(response)
        client.note(
            f"{name} by another account with the victim's refresh token: {response.status_code}"
        )
        _check_alive(client, victim, f"after another account's {name} with its refresh token")


@prop("61")
def test_a_refresh_token_serves_only_its_account(client: TargetClient, target: Target) -> None:
    """A's refresh token sent with B's access token: refused, or tokens that act as A - never B."""
    endpoint(target, "refresh")
    victim = _victim(client, target)
    if victim.pair.refresh is None:
        skip("not applicable: the login response holds no refresh token")
    attacker = client.session(client.account(tag="attacker"))
    response = client.call("refresh", {"refresh_token": victim.pair.refresh}, token=attacker.access)
    client.decide(response)
    new = client.tokens(response)
    if not client.ok("refresh", response) or new.access is None:
        client.note(f"refused ({response.status_code}): the token is not B's to use")
        return
    me = client.me(new.access)
    client.decide(me)
    assert client.ok("me", me), f"the refreshed access token does not open me ({me.status_code})"
    assert me.content == victim.identity, (
        "a refresh token redeemed by another signed-in account gave a session that is not its own"
    )


@prop("62")
def test_one_accounts_actions_leave_another_session_alone(
    client: TargetClient, target: Target
) -> None:
    """B logs out and changes B's password: A's access and refresh tokens still work."""
    actions: list[tuple[str, str]] = [
        (name, what)
        for name, what in (("logout", "logout"), ("change_password", "password change"))
        if target.profile.endpoint(name) is not None
    ]
    if not actions:
        skip("not applicable: the profile has neither [endpoints.logout] nor change_password")
    victim = _victim(client, target)
    for name, what in actions:
        account = client.account(tag="other")
        other = client.session(account)
        assert other.access is not None
        response: httpx.Response
        if name == "logout":
            response = client.logout(other.access, other.refresh)
        else:
            response = client.change_password(other.access, account.password, client.new_password())
        client.decide(response)
        client.note(f"another account's own {what}: {response.status_code}")
        _check_alive(client, victim, f"after another account's own {what}")
