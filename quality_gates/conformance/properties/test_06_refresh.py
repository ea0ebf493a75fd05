# ruff: noqa: S101 - pytest tests: a failed assert is the verdict, with its message
"""Refresh tokens: properties 35-38 (concurrent refreshes, 53, are in ``test_11_races``)."""

from __future__ import annotations

from quality_gates.conformance.client import TargetClient, TokenPair
from quality_gates.conformance.properties._support import (
    check_client_error,
    claim,
    endpoint,
    prop,
    skip,
    token_rejected,
)
from quality_gates.conformance.target import Target


def _login(client: TargetClient, target: Target) -> TokenPair:
    endpoint(target, "refresh")
    pair = client.session(client.account())
    if pair.refresh is None:
        skip("not applicable: the login response holds no refresh token")
    return pair


@prop("35")
def test_refresh_rotates_the_tokens(client: TargetClient, target: Target) -> None:
    """A refresh returns a new refresh token and a new, working access token."""
    claim(target, "refresh_rotation")
    pair = _login(client, target)
    response = client.refresh(pair.refresh)
    client.decide(response)
    assert client.ok("refresh", response), f"refresh got {response.status_code}"
    new = client.tokens(response)
    assert new.refresh is not None, "the refresh response holds no refresh token"
    assert new.refresh != pair.refresh, "the refresh token was not rotated"
    assert new.access is not None, "the refresh response holds no access token"
    assert new.access != pair.access, "the access token was not renewed"
    me = client.me(new.access)
    assert client.ok("me", me), f"the new access token does not work ({me.status_code})"


@prop("36")
def test_used_refresh_token_is_refused(client: TargetClient, target: Target) -> None:
    """RT1 gives RT2; RT1 again is refused; with reuse detection RT2 is then dead too."""
    claim(target, "refresh_rotation")
    pair = _login(client, target)
    first = client.refresh(pair.refresh)
    assert client.ok("refresh", first), f"refresh got {first.status_code}"
    second = client.tokens(first)
    reuse = client.refresh(pair.refresh)
    client.decide(reuse)
    check_client_error(reuse, "reusing a spent refresh token")
    if "refresh_reuse_revokes_family" in target.disclaimed:
        client.note("claims.refresh_reuse_revokes_family = false: the family is not checked")
        return
    # Audited from here: a family left alive is an observation unless the profile claims it.
    claim(target, "refresh_reuse_revokes_family")
    family = client.refresh(second.refresh)
    client.decide(family)
    assert not client.ok("refresh", family), "after a reuse, the newer refresh token still works"


@prop("37")
def test_token_types_are_not_interchangeable(client: TargetClient, target: Target) -> None:
    """The access token is refused as a refresh token, and the refresh token as a bearer."""
    pair = _login(client, target)
    as_refresh = client.refresh(pair.access)
    client.decide(as_refresh)
    check_client_error(as_refresh, "an access token sent to refresh")
    as_access = token_rejected(client, pair.refresh)
    assert not client.ok("me", as_access), "a refresh token works as an access token"


@prop("38")
def test_garbage_refresh_tokens_get_a_clean_4xx(client: TargetClient, target: Target) -> None:
    """Empty, garbage, 10 000-character and wrongly typed refresh tokens: 4xx, never 5xx."""
    endpoint(target, "refresh")
    values: list[object] = ["", "garbage", "x" * 10_000, "%00'\"; DROP TABLE", None]
    if target.profile.endpoint("refresh") and client.endpoint("refresh").encoding == "json":
        values += [123, [], {}, True]
    for value in values:
        response = client.refresh(value)
        client.decide(response)
        check_client_error(response, f"refresh token {value!r:.40}")
