"""GET /v1/me, POST /v1/me/password and POST /v1/sessions/refresh: token rules, over HTTP."""

from __future__ import annotations

import asyncio
import base64
import json
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import select

from authsvc.app import create_app
from authsvc.clock import ManualClock
from authsvc.config import Settings
from authsvc.store.models import refresh_tokens, sessions
from authsvc.store.repository import Repository
from tests.unit._helpers import EMAIL, PASSWORD, SIGNING_KEY, Api, make_client, metric_value

pytestmark = pytest.mark.anyio

NEW_PASSWORD = "an entirely new passphrase"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _forge(claims: dict[str, Any], **changes: Any) -> str:
    payload = {**claims, **changes}
    return jwt.encode(payload, SIGNING_KEY["secret"], algorithm="HS256", headers={"kid": "unit-1"})


async def _login(api: Api) -> dict[str, Any]:
    await api.register()
    return await api.tokens()


async def test_me_returns_the_account(api: Api) -> None:
    """id, the typed e-mail and created_at; no credential fields."""
    created = (await api.register()).json()
    pair = await api.tokens()
    response = await api.me(pair["access_token"])
    assert response.status_code == 200
    assert response.json() == created
    assert "password" not in response.text
    assert response.headers["cache-control"] == "no-store"


def _flip(token: str, segment: int) -> str:
    parts = token.split(".")
    text = parts[segment]
    parts[segment] = text[:-2] + ("A" if text[-2] != "A" else "B") + text[-1]
    return ".".join(parts)


@pytest.mark.parametrize("segment", [0, 1, 2])
async def test_tampered_tokens_are_rejected(api: Api, segment: int) -> None:
    """A change to header, payload or signature is a 401."""
    pair = await _login(api)
    response = await api.me(_flip(pair["access_token"], segment))
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_forged_and_confused_tokens_are_rejected(api: Api) -> None:
    """alg=none, another key, another audience or issuer, another subject: all 401."""
    pair = await _login(api)
    claims = _claims(pair["access_token"])
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': 'unit-1'})}.{_b64(claims)}."
    other_key = jwt.encode(claims, "x" * 40, algorithm="HS256", headers={"kid": "unit-1"})
    for token in (
        unsigned,
        other_key,
        _forge(claims, aud="someone-else"),
        _forge(claims, iss="someone-else"),
        _forge(claims, sub="another-user"),
        _forge(claims, sid="another-session"),
        pair["refresh_token"],
    ):
        assert (await api.me(token)).status_code == 401, token
    assert (await api.me(_forge(claims))).status_code == 200


async def test_access_token_expiry_with_bounded_leeway(api: Api, clock: ManualClock) -> None:
    """Valid just before exp + leeway, refused after."""
    pair = await _login(api)
    clock.advance(900 + 29)
    assert (await api.me(pair["access_token"])).status_code == 200
    clock.advance(2)
    assert (await api.me(pair["access_token"])).status_code == 401


async def test_refresh_rotates_the_pair(api: Api) -> None:
    """New access and refresh tokens, both different; the new access token works."""
    pair = await _login(api)
    response = await api.refresh(pair["refresh_token"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    fresh = response.json()
    assert fresh["refresh_token"] != pair["refresh_token"]
    assert fresh["access_token"] != pair["access_token"]
    me = await api.me(fresh["access_token"])
    assert me.status_code == 200
    assert me.json()["email"] == EMAIL


async def test_reuse_of_a_rotated_token_revokes_the_family(api: Api) -> None:
    """RT1 -> RT2; RT1 again is refused, and then RT2 and the access tokens die too."""
    pair = await _login(api)
    fresh = (await api.refresh(pair["refresh_token"])).json()
    reuse = await api.refresh(pair["refresh_token"])
    assert reuse.status_code == 401
    assert reuse.json()["type"] == "urn:authsvc:problem:invalid-grant"
    assert (await api.refresh(fresh["refresh_token"])).status_code == 401
    assert (await api.me(fresh["access_token"])).status_code == 401


async def test_concurrent_refreshes_succeed_at_most_once(api: Api) -> None:
    """Ten parallel uses of one refresh token: at most one 200, no 5xx."""
    pair = await _login(api)
    responses = await asyncio.gather(*(api.refresh(pair["refresh_token"]) for _ in range(10)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) <= 1
    assert set(statuses) <= {200, 401}


async def test_refresh_has_an_absolute_lifetime(
    make_settings: Callable[..., Settings], clock: ManualClock
) -> None:
    """Refreshing keeps a session alive only until its absolute end."""
    app = create_app(make_settings(refresh_ttl_seconds=3600), clock=clock)
    async with app.router.lifespan_context(app), make_client(app) as http:
        api = Api(http)
        pair = await _login(api)
        token = pair["refresh_token"]
        for _ in range(3):
            clock.advance(1000)
            response = await api.refresh(token)
            assert response.status_code == 200
            token = response.json()["refresh_token"]
        clock.advance(601)
        assert (await api.refresh(token)).status_code == 401
        text = (await http.get("/metrics")).text
        assert metric_value(text, "authsvc_refresh_total", outcome="expired") == 1
        assert metric_value(text, "authsvc_refresh_total", outcome="success") == 3


@pytest.mark.parametrize("garbage", ["", "x", "A" * 43, "😀" * 20, "z" * 10_000, 123, None, [], {}])
async def test_garbage_refresh_tokens_are_clean_4xx(api: Api, garbage: Any) -> None:
    """Strings that are not tokens: 401; non-strings: 422. Never a 500."""
    response = await api.refresh(garbage)
    assert response.status_code == (401 if isinstance(garbage, str) else 422)
    assert response.headers["content-type"] == "application/problem+json"


async def test_access_token_is_not_a_refresh_token(api: Api) -> None:
    """Token types are not interchangeable."""
    pair = await _login(api)
    assert (await api.refresh(pair["access_token"])).status_code == 401
    assert (await api.me(pair["access_token"])).status_code == 200


async def test_refresh_tokens_are_stored_only_as_hashes(api: Api, repo: Repository) -> None:
    """The database never holds a usable refresh token."""
    pair = await _login(api)
    with repo.db.read() as conn:
        stored = conn.execute(select(refresh_tokens.c.token_hash)).scalars().all()
    assert stored
    assert pair["refresh_token"] not in stored
    assert all(len(value) == 64 for value in stored)


async def _change(http: httpx.AsyncClient, token: str, current: str, new: str) -> httpx.Response:
    return await http.post(
        "/v1/me/password",
        json={"current_password": current, "new_password": new},
        headers={"Authorization": f"Bearer {token}"},
    )


async def test_password_change_revokes_every_session(
    api: Api, client: httpx.AsyncClient, repo: Repository
) -> None:
    """204; all sessions die; the old password fails and the new one works."""
    pair = await _login(api)
    other = await api.tokens()
    response = await _change(client, pair["access_token"], PASSWORD, NEW_PASSWORD)
    assert response.status_code == 204
    for tokens in (pair, other):
        assert (await api.me(tokens["access_token"])).status_code == 401
        assert (await api.refresh(tokens["refresh_token"])).status_code == 401
    assert (await api.login()).status_code == 401
    assert (await api.login(EMAIL, NEW_PASSWORD)).status_code == 200
    with repo.db.read() as conn:
        reasons = conn.execute(select(sessions.c.revoked_reason)).scalars().all()
    assert reasons.count("password_changed") == 2


async def test_wrong_current_password_changes_nothing(api: Api, client: httpx.AsyncClient) -> None:
    """403 problem; the session and the password stay as they were."""
    pair = await _login(api)
    response = await _change(client, pair["access_token"], "not my password", NEW_PASSWORD)
    assert response.status_code == 403
    assert response.json()["type"] == "urn:authsvc:problem:current-password-rejected"
    assert (await api.me(pair["access_token"])).status_code == 200
    assert (await api.login()).status_code == 200


async def test_new_password_must_pass_the_policy(api: Api, client: httpx.AsyncClient) -> None:
    """The registration policy applies to the new password too."""
    pair = await _login(api)
    for new, code in (("short", "password_too_short"), ("password", "password_common")):
        response = await _change(client, pair["access_token"], PASSWORD, new)
        assert response.status_code == 422
        assert response.json()["errors"][0]["code"] == code
        assert response.json()["errors"][0]["pointer"] == "#/new_password"


async def test_changed_password_is_normalised_like_login(
    api: Api, client: httpx.AsyncClient
) -> None:
    """NFD at change, NFC at login: the same password."""
    pair = await _login(api)
    nfd = unicodedata.normalize("NFD", "façade ünïcode passphrase")
    assert (await _change(client, pair["access_token"], PASSWORD, nfd)).status_code == 204
    assert (await api.login(EMAIL, unicodedata.normalize("NFC", nfd))).status_code == 200


async def test_password_change_requires_a_token(client: httpx.AsyncClient) -> None:
    """No bearer token: 401."""
    response = await client.post(
        "/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 401


async def test_wrong_current_passwords_count_toward_the_lock(
    api: Api, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """Guessing through the change endpoint locks the account like login does."""
    pair = await _login(api)
    for _ in range(5):
        await _change(client, pair["access_token"], "guess guess", NEW_PASSWORD)
    response = await _change(client, pair["access_token"], PASSWORD, NEW_PASSWORD)
    assert response.status_code == 403
    assert (await api.login()).status_code == 401
    clock.advance(timedelta(minutes=16).total_seconds())
    assert (await api.login()).status_code == 200
