"""Token and session properties through the HTTP API: tampering, expiry, rotation, revocation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.property._budget import examples
from tests.property._service import (
    ACCESS_TTL,
    LEEWAY,
    SESSION_LIFETIME,
    START,
    InProcessService,
    assert_not_echoed,
)
from tests.strategies import (
    clock_advances,
    credentials,
    distinct_emails,
    tampered_tokens,
    valid_passwords,
)


def assert_unauthenticated(response: httpx.Response, token: str | None = None) -> None:
    """401 problem+json with a Bearer challenge, and the presented token not echoed."""
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401
    if token:
        assert_not_echoed(token, response)


def assert_refresh_refused(response: httpx.Response) -> None:
    """A refused refresh: 401 invalid-grant, never a new pair."""
    assert_unauthenticated(response)
    assert response.json()["type"] == "urn:authsvc:problem:invalid-grant"
    assert "access_token" not in response.text


def open_session(service: InProcessService, email: str, password: str) -> dict[str, Any]:
    """Log in and return the token pair."""
    response = service.login(email, password)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def new_account(service: InProcessService, data: st.DataObject) -> tuple[str, str]:
    """Register a drawn account; return its credentials."""
    email, password = data.draw(credentials(), label="credentials")
    assert service.register(email, password).status_code == 201
    return email, password


@settings(max_examples=examples(40))
@given(st.data())
def test_every_tampering_of_an_access_token_is_rejected(
    service: InProcessService, data: st.DataObject
) -> None:
    """Changed characters or bits, cut or extended tokens, swapped segments, alg none,
    forged signatures: ``/v1/me`` answers 401, and the real token still works."""
    service.reset()
    me_email, other_email = data.draw(distinct_emails(), label="emails")
    tokens = []
    for email in (me_email, other_email):
        password = data.draw(valid_passwords(email))
        assert service.register(email, password).status_code == 201
        tokens.append(open_session(service, email, password)["access_token"])
    mine, theirs = tokens
    kind, tampered = data.draw(tampered_tokens(mine, theirs), label="tampered")
    response = service.me(tampered)
    assert_unauthenticated(response, tampered)
    assert service.me(mine).status_code == 200, kind


@settings(max_examples=examples(30))
@given(st.data(), clock_advances([ACCESS_TTL, ACCESS_TTL + LEEWAY]))
def test_access_token_valid_until_expiry_plus_leeway(
    service: InProcessService, data: st.DataObject, advance: float
) -> None:
    """With the clock moved by ``advance``: valid iff ``now <= exp + leeway``."""
    service.reset()
    tokens = open_session(service, *new_account(service, data))
    service.clock.advance(advance)
    elapsed = (service.clock.now() - START).total_seconds()
    response = service.me(tokens["access_token"])
    if elapsed <= ACCESS_TTL + LEEWAY:
        assert response.status_code == 200, elapsed
    else:
        assert_unauthenticated(response)
        # The session outlives its access tokens: a refresh still gives a working one.
        renewed = service.refresh(tokens["refresh_token"])
        assert renewed.status_code == 200, renewed.text
        assert service.me(renewed.json()["access_token"]).status_code == 200


@settings(max_examples=examples(15))
@given(st.data(), clock_advances([LEEWAY]))
def test_access_token_from_the_future_is_valid_only_within_leeway(
    service: InProcessService, data: st.DataObject, back: float
) -> None:
    """A clock set back (skew): a token issued "later" is accepted up to the leeway."""
    service.reset()
    tokens = open_session(service, *new_account(service, data))
    service.clock.set(START - timedelta(seconds=back))
    ahead = (START - service.clock.now()).total_seconds()
    response = service.me(tokens["access_token"])
    if ahead <= LEEWAY:
        assert response.status_code == 200, ahead
    else:
        assert_unauthenticated(response)


@settings(max_examples=examples(25))
@given(st.data(), st.integers(1, 4))
def test_refresh_rotates_and_a_replay_revokes_the_family(
    service: InProcessService, data: st.DataObject, rotations: int
) -> None:
    """Each refresh issues a new, different pair; replaying any spent refresh token
    is refused and revokes the whole session; another session is untouched."""
    service.reset()
    email, password = new_account(service, data)
    bystander = open_session(service, email, password)
    pairs = [open_session(service, email, password)]
    for _ in range(rotations):
        response = service.refresh(pairs[-1]["refresh_token"])
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        pairs.append(response.json())
    refresh_tokens = [pair["refresh_token"] for pair in pairs]
    access_tokens = [pair["access_token"] for pair in pairs]
    assert len(set(refresh_tokens)) == len(refresh_tokens)
    assert len(set(access_tokens)) == len(access_tokens)
    assert service.me(access_tokens[-1]).status_code == 200

    replayed = data.draw(st.sampled_from(refresh_tokens[:-1]), label="replayed")
    assert_refresh_refused(service.refresh(replayed))
    # The family is gone: the newest refresh token and every access token of it.
    assert_refresh_refused(service.refresh(refresh_tokens[-1]))
    for access in access_tokens:
        assert_unauthenticated(service.me(access))
    assert service.me(bystander["access_token"]).status_code == 200
    assert service.refresh(bystander["refresh_token"]).status_code == 200


@settings(max_examples=examples(15))
@given(st.data())
def test_token_types_are_not_interchangeable(
    service: InProcessService, data: st.DataObject
) -> None:
    """A refresh token is no bearer token, and an access token refreshes nothing."""
    service.reset()
    tokens = open_session(service, *new_account(service, data))
    assert_unauthenticated(service.me(tokens["refresh_token"]), tokens["refresh_token"])
    assert_refresh_refused(service.refresh(tokens["access_token"]))
    # Neither misuse spent anything.
    assert service.refresh(tokens["refresh_token"]).status_code == 200


@settings(max_examples=examples(15))
@given(st.data())
def test_logout_revokes_its_session_only_and_can_be_repeated(
    service: InProcessService, data: st.DataObject
) -> None:
    """After logout the access token is 401 and the refresh token refused; a second
    logout is a clean 401; the account's other session keeps working."""
    service.reset()
    email, password = new_account(service, data)
    leaving, staying = (
        open_session(service, email, password),
        open_session(service, email, password),
    )
    assert service.logout(leaving["access_token"]).status_code == 204
    assert_unauthenticated(service.me(leaving["access_token"]))
    assert_refresh_refused(service.refresh(leaving["refresh_token"]))
    assert_unauthenticated(service.logout(leaving["access_token"]))
    assert service.me(staying["access_token"]).status_code == 200
    assert service.refresh(staying["refresh_token"]).status_code == 200


@settings(max_examples=examples(15))
@given(st.data())
def test_password_change_ends_every_session(service: InProcessService, data: st.DataObject) -> None:
    """A wrong current password changes nothing (403); the right one revokes all of the
    account's sessions and tokens, and only the new password logs in."""
    service.reset()
    email, password = new_account(service, data)
    first, second = open_session(service, email, password), open_session(service, email, password)
    new_password = data.draw(
        valid_passwords(email).filter(lambda p: p != password), label="new_password"
    )
    rejected = service.change_password(first["access_token"], password + "?", new_password)
    assert rejected.status_code == 403, rejected.text
    assert service.me(first["access_token"]).status_code == 200

    assert service.change_password(first["access_token"], password, new_password).status_code == 204
    for session in (first, second):
        assert_unauthenticated(service.me(session["access_token"]))
        assert_refresh_refused(service.refresh(session["refresh_token"]))
    assert service.login(email, password).status_code == 401
    assert service.login(email, new_password).status_code == 200


@settings(max_examples=examples(10))
@given(st.data(), st.integers(ACCESS_TTL // 2, ACCESS_TTL))
def test_refreshing_never_outlives_the_session_lifetime(
    service: InProcessService, data: st.DataObject, step: int
) -> None:
    """Sliding refreshes stop at the absolute session lifetime, however often they come."""
    service.reset()
    tokens = open_session(service, *new_account(service, data))
    # Jump close to the end, then keep refreshing in steps no longer than an access TTL.
    service.clock.advance(SESSION_LIFETIME - 3 * ACCESS_TTL)
    while True:
        service.clock.advance(step)
        response = service.refresh(tokens["refresh_token"])
        elapsed = (service.clock.now() - START).total_seconds()
        if elapsed < SESSION_LIFETIME:
            assert response.status_code == 200, (elapsed, response.text)
            tokens = response.json()
            continue
        assert_refresh_refused(response)
        assert_unauthenticated(service.me(tokens["access_token"]))
        break
