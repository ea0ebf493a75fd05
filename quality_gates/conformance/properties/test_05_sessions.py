# ruff: noqa: S101 - pytest tests: a failed assert is the verdict, with its message
"""Session and access tokens: properties 25-34."""

from __future__ import annotations

import math
import os
import time

from quality_gates.conformance import jwt
from quality_gates.conformance.client import TargetClient
from quality_gates.conformance.hooks import HookError
from quality_gates.conformance.properties._support import (
    HASH_MARKERS,
    check_client_error,
    check_logged_in,
    claim,
    endpoint,
    hook,
    jwt_of,
    prop,
    refused,
    skip,
    token_rejected,
)
from quality_gates.conformance.target import Target

LOGINS_FOR_UNIQUENESS = 8
MIN_ENTROPY_BITS = 128


def _bits_per_char(token: str) -> float:
    """Bits a character of ``token`` can carry, judged from the alphabet it uses."""
    if all(c in "0123456789abcdef" for c in token.lower()):
        return 4.0
    if all(c.isalnum() or c in "-_=" for c in token):
        return 6.0 if any(c in "-_" for c in token) or any(c.isupper() for c in token) else 5.0
    return math.log2(len(set(token)) or 1)


@prop("25")
def test_tokens_are_unique_and_long_enough(client: TargetClient) -> None:
    """Eight logins: every access and refresh token differs; opaque tokens carry >= 128 bits."""
    account = client.account()
    seen: dict[str, int] = {}
    for _ in range(LOGINS_FOR_UNIQUENESS):
        response = client.login(account.email, account.password)
        check_logged_in(client, response, "login")
        pair = client.tokens(response)
        for token in (pair.access, pair.refresh):
            if token is None:
                continue
            if token in seen:
                client.log.decide(seen[token])
                client.decide(response)
                raise AssertionError("two logins were given the same token")
            seen[token] = client.last
            if jwt.decode(token) is None:
                bits = len(token) * _bits_per_char(token)
                assert bits >= MIN_ENTROPY_BITS, f"an opaque token holds at most {bits:.0f} bits"
    client.note(f"{LOGINS_FOR_UNIQUENESS} logins, {len(seen)} distinct tokens")


@prop("26")
def test_every_login_issues_a_new_token(client: TargetClient, target: Target) -> None:
    """Three logins in a row get three access tokens; a pre-set cookie is not adopted.

    Three, not two: a token that only changes with the clock's second (no random claim) is
    then caught whatever the timing, since three quick logins cannot straddle two seconds.
    """
    account = client.account()
    issued: dict[str, int] = {}
    for _ in range(3):
        response = client.login(account.email, account.password)
        check_logged_in(client, response, "login")
        token = client.tokens(response).access or ""
        if token in issued:
            client.log.decide(issued[token])
            client.decide(response)
            raise AssertionError("a new login was given a previous login's access token")
        issued[token] = client.last
    cookie = target.profile.tokens.send_cookie
    if cookie is not None:
        planted = "qg-fixation-" + os.urandom(8).hex()
        client.secret(planted, "planted-cookie")
        fixed = client.call(
            "login",
            {"email": account.email, "password": account.password},
            headers={"Cookie": f"{cookie}={planted}"},
        )
        client.decide(fixed)
        assert client.tokens(fixed).access != planted, "the login adopted a planted cookie"
        assert not client.ok("me", token_rejected(client, planted)), "a planted cookie works"


@prop("27")
def test_logout_invalidates_the_tokens(client: TargetClient, target: Target) -> None:
    """After logout the access token gets 401 on ``me`` and the refresh token is refused."""
    claim(target, "revoke_on_logout")
    pair = client.session(client.account())
    before = client.me(pair.access)
    assert client.ok("me", before), f"the fresh token does not work ({before.status_code})"
    logout = client.logout(pair.access, pair.refresh)
    client.decide(logout)
    assert client.ok("logout", logout), f"logout got {logout.status_code}"
    after = token_rejected(client, pair.access)
    assert not client.ok("me", after), (
        f"the access token still works after logout ({after.status_code} on me)"
    )
    if pair.refresh is not None and target.profile.endpoint("refresh") is not None:
        refreshed = client.refresh(pair.refresh)
        client.decide(refreshed)
        assert not client.ok("refresh", refreshed), "the refresh token still works after logout"


@prop("28")
def test_logout_needs_a_valid_token_and_repeats_safely(
    client: TargetClient, target: Target
) -> None:
    """Logout without a token or with a bad one: 401/403; a second logout: no 5xx."""
    endpoint(target, "logout")
    for token in (None, "qg-not-a-token"):
        response = client.logout(token)
        client.decide(response)
        which = "no" if token is None else "an invalid"
        assert response.status_code in (401, 403), (
            f"logout with {which} token got {response.status_code}"
        )
    pair = client.session(client.account())
    client.logout(pair.access, pair.refresh)
    again = client.logout(pair.access, pair.refresh)
    client.decide(again)
    assert again.status_code < 500, f"a second logout got {again.status_code}"


@prop("29")
def test_access_token_expires(client: TargetClient, target: Target) -> None:
    """Valid 5 s before its lifetime ends; refused 5 s after lifetime plus leeway."""
    ttl = claim(target, "access_ttl_seconds")
    leeway = target.profile.claims.leeway_seconds or 0
    hook(target, "clock_offset_file")
    pair = client.session(client.account())
    with target.hooks.clock_moved() as clock:
        clock.set(ttl - 5)
        before = client.me(pair.access)
        client.decide(before)
        assert client.ok("me", before), f"refused {ttl - 5} s into a {ttl} s lifetime"
        clock.set(ttl + leeway + 5)
        after = token_rejected(client, pair.access)
        client.note(f"clock moved to {ttl - 5} s, then {ttl + leeway + 5} s after issue")
        assert not client.ok("me", after), f"accepted {ttl + leeway + 5} s after issue"


def _resign(client: TargetClient, target: Target, token: str | None, **changes: object) -> str:
    decoded = jwt_of(token)
    algorithm = decoded.header.get("alg")
    if algorithm not in jwt.HMAC_ALGORITHMS:
        skip(f"not applicable: hooks.jwt_key re-signs HMAC tokens, the target uses {algorithm}")
    payload = {**decoded.payload, **changes}
    forged = jwt.encode(decoded.header, payload, target.hooks.jwt_key())
    client.secret(forged, "forged-token")
    return forged


def _check_key(client: TargetClient, target: Target, token: str | None) -> None:
    """A token re-signed unchanged must work, or the key is wrong and nothing is proven."""
    control = client.me(_resign(client, target, token))
    if not client.ok("me", control):
        client.decide(control)
        raise HookError("hooks.jwt_key: a token re-signed with it is refused: wrong key?")


@prop("30")
def test_clock_skew_leeway_is_bounded(client: TargetClient, target: Target) -> None:
    """Re-signed with the target's key: expired 10 min ago, or ``nbf`` in 10 min: refused."""
    hook(target, "jwt_key")
    token = client.session(client.account()).access
    _check_key(client, target, token)
    now = int(jwt_of(token).payload.get("iat", time.time()))
    expired = _resign(client, target, token, exp=now - 600, iat=now - 1200, nbf=now - 1200)
    future = _resign(client, target, token, nbf=now + 600, iat=now, exp=now + 1800)
    for name, forged in (("expired 10 min ago", expired), ("nbf in 10 min", future)):
        response = token_rejected(client, forged)
        assert not client.ok("me", response), f"a token {name} was accepted"


@prop("31")
def test_session_has_an_absolute_lifetime(client: TargetClient, target: Target) -> None:
    """Refreshing just before the session lifetime works; just after it, nothing does."""
    lifetime = claim(target, "session_lifetime_seconds")
    endpoint(target, "refresh")
    hook(target, "clock_offset_file")
    pair = client.session(client.account())
    with target.hooks.clock_moved() as clock:
        clock.set(lifetime - 120)
        renewed = client.refresh(pair.refresh)
        assert client.ok("refresh", renewed), (
            f"refresh refused before the end ({renewed.status_code})"
        )
        fresh = client.tokens(renewed)
        clock.set(lifetime + 60)
        late = client.refresh(fresh.refresh)
        client.decide(late)
        client.note(f"clock moved to {lifetime - 120} s, then {lifetime + 60} s after login")
        assert not client.ok("refresh", late), "a refresh token outlived the session lifetime"
        response = token_rejected(client, fresh.access)
        assert not client.ok("me", response), "an access token outlived the session lifetime"


@prop("32")
def test_password_change_ends_other_sessions(client: TargetClient, target: Target) -> None:
    """Two sessions; the password is changed in one: the other's token is refused."""
    claim(target, "password_change_revokes_sessions")
    endpoint(target, "change_password")
    account = client.account()
    changer, other = client.session(account), client.session(account)
    assert changer.access is not None
    changed = client.change_password(changer.access, account.password, client.new_password())
    assert client.ok("change_password", changed), f"password change got {changed.status_code}"
    response = token_rejected(client, other.access)
    assert not client.ok("me", response), "another session survived the password change"


@prop("32")
def test_disabling_the_account_ends_its_sessions(client: TargetClient, target: Target) -> None:
    """The account is disabled (hook): its access token is refused at once."""
    hook(target, "disable_account")
    account = client.account()
    pair = client.session(account)
    target.hooks.disable(account.email)
    response = token_rejected(client, pair.access)
    assert not client.ok("me", response), "a disabled account's token still works"


@prop("33")
def test_token_payload_holds_no_secrets(client: TargetClient) -> None:
    """The decoded JWT holds neither the password, a hash, nor the e-mail address."""
    account = client.account()
    token = client.session(account).access
    payload = str(jwt_of(token).payload)
    client.note("payload claims: " + ", ".join(sorted(jwt_of(token).payload)))
    assert account.password not in payload, "the token holds the password"
    assert not HASH_MARKERS.search(payload), "the token holds a password hash"
    assert account.email.lower() not in payload.lower(), "the token holds the e-mail address"


@prop("34")
def test_credentials_are_not_read_from_the_url(client: TargetClient) -> None:
    """A login with the credentials only in the query string does not log in."""
    account = client.account()
    login = client.endpoint("login")
    params = {login.field("email"): account.email, login.field("password"): account.password}
    response = client.call("login", {}, params=params)
    client.decide(response)
    assert refused(client, response), "credentials in the query string logged in"
    check_client_error(response, "credentials in the query string")
    ok = client.login(account.email, account.password)
    assert client.tokens(ok).access not in ok.headers.get("location", ""), "token in a URL"
