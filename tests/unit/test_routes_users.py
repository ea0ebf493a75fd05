"""POST /v1/users: registration rules, over HTTP."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, func, select

from authsvc.store.models import users
from authsvc.store.repository import Repository
from tests.unit._helpers import EMAIL, PASSWORD, Api, metric_value, services_of

pytestmark = pytest.mark.anyio


def _count_users(repo: Repository) -> int:
    with repo.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(users)).scalar_one())


async def test_register_returns_the_account_without_secrets(api: Api) -> None:
    """201 with id, the typed e-mail and created_at; no hash or password anywhere."""
    response = await api.register("  Ada.Lovelace@Example.com ", PASSWORD)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "created_at"}
    assert body["email"] == "Ada.Lovelace@Example.com"
    assert "argon2" not in response.text
    assert PASSWORD not in response.text
    assert response.headers["cache-control"] == "no-store"


async def test_canonical_email_is_stored_and_typed_form_kept(api: Api, repo: Repository) -> None:
    """The canonical form is the key; the typed form is what /v1/me shows."""
    await api.register("\uff21\uff24\uff21@Example.COM", PASSWORD)
    user = repo.find_user("ada@example.com")
    assert user is not None
    assert user.email_display == "\uff21\uff24\uff21@Example.COM"
    assert user.password_hash.startswith("$argon2id$v=19$m=256,t=1,p=1$")


@pytest.mark.parametrize(
    "variant",
    ["ada.lovelace@example.com", "ADA.LOVELACE@EXAMPLE.COM", "  ada.lovelace@example.com\t"],
)
async def test_duplicate_canonical_email_is_409(api: Api, variant: str) -> None:
    """Case and whitespace variants are the same account."""
    assert (await api.register(EMAIL)).status_code == 201
    response = await api.register(variant)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:authsvc:problem:email-taken"


async def test_nfkc_lookalikes_are_duplicates(api: Api) -> None:
    """OHM SIGN and GREEK CAPITAL OMEGA are one address after NFKC."""
    assert (await api.register("iamthe\u03a9@example.com")).status_code == 201
    assert (await api.register("iamthe\u2126@example.com")).status_code == 409


async def test_twenty_concurrent_registrations_make_one_account(api: Api, repo: Repository) -> None:
    """The UNIQUE constraint decides: one 201, nineteen 409, no 5xx, one row."""
    variants = [
        f"{'  ' if i % 3 == 0 else ''}{EMAIL.upper() if i % 2 else EMAIL.lower()}"
        for i in range(20)
    ]
    responses = await asyncio.gather(*(api.register(email) for email in variants))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19
    assert _count_users(repo) == 1


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short1!", "password_too_short"),
        ("password", "password_common"),
        ("12345678", "password_common"),
        ("ada.lovelace-2024!", "password_contains_email"),
        ("x" * 1025, "password_too_long"),
    ],
)
async def test_password_policy_violations_are_422_with_codes(
    api: Api, password: str, code: str
) -> None:
    """Each rule has a stable reason code; the password is never echoed."""
    response = await api.register(EMAIL, password)
    assert response.status_code == 422
    body = response.json()
    assert {"pointer": "#/password", "code": code} in [
        {"pointer": e["pointer"], "code": e["code"]} for e in body["errors"]
    ]
    assert json.dumps(password) not in response.text


async def test_too_long_password_is_refused_before_hashing(
    api: Api, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 1 MiB-class password never reaches the hasher."""
    calls: list[Any] = []
    monkeypatch.setattr(services_of(app).offload, "hash", _recording(calls))
    response = await api.register(EMAIL, "p" * 60_000)
    assert response.status_code == 422
    assert calls == []


def _recording(calls: list[Any]) -> Any:
    async def record(*args: Any, **kwargs: Any) -> None:
        calls.append((args, kwargs))

    return record


@pytest.mark.parametrize(
    "password",
    [
        "a" * 64,
        "b" * 1024,
        "😀🎉🔐🌍🚀✨🎵🍀",  # eight code points, far more bytes
        "839201746529103",  # all digits, no composition rules
        "  spaces kept  ",
    ],
)
async def test_acceptable_passwords(api: Api, password: str) -> None:
    """Long, non-ASCII and all-numeric passwords are accepted; each then logs in."""
    assert (await api.register(EMAIL, password)).status_code == 201
    assert (await api.login(EMAIL, password)).status_code == 200


@pytest.mark.parametrize(
    ("email", "code"),
    [
        ("", "email_empty"),
        ("king.arthur", "email_invalid"),
        ("a@b", "email_invalid"),
        ("x" * 250 + "@example.com", "email_too_long"),
    ],
)
async def test_invalid_email_is_422(api: Api, email: str, code: str) -> None:
    """Addresses are validated with stable codes."""
    response = await api.register(email, PASSWORD)
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "pointer": "#/email",
        "code": code,
        "detail": response.json()["errors"][0]["detail"],
    }


@pytest.mark.parametrize(
    "extra", [{"is_superuser": True}, {"id": "me"}, {"disabled": False}, {"role": "admin"}]
)
async def test_mass_assignment_is_rejected(
    client: httpx.AsyncClient, extra: dict[str, Any]
) -> None:
    """Unknown fields are a 422; nothing is created."""
    response = await client.post("/v1/users", json={"email": EMAIL, "password": PASSWORD, **extra})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "extra_forbidden"


async def test_crash_mid_registration_leaves_no_account(
    api: Api, app: FastAPI, repo: Repository
) -> None:
    """A failure after the INSERT, inside the transaction, rolls the account back."""
    engine = services_of(app).repo.db.engine

    def explode(_conn: Any, clauseelement: Any, *_args: Any) -> None:
        if "login_throttle" in str(clauseelement) and "DELETE" in str(clauseelement):
            raise RuntimeError("simulated crash")

    event.listen(engine, "before_execute", explode)
    try:
        response = await api.register()
    finally:
        event.remove(engine, "before_execute", explode)
    assert response.status_code == 500
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "An unexpected error occurred.",
    }
    assert _count_users(repo) == 0
    assert (await api.register()).status_code == 201
    text = (await api.http.get("/metrics")).text
    assert metric_value(text, "authsvc_registrations_total", outcome="error") == 1


async def test_registration_metrics(api: Api, client: httpx.AsyncClient) -> None:
    """authsvc_registrations_total counts created, duplicate and rejected."""
    await api.register()
    await api.register()
    await api.register(EMAIL, "short")
    text = (await client.get("/metrics")).text
    name = "authsvc_registrations_total"
    assert metric_value(text, name, outcome="created") == 1
    assert metric_value(text, name, outcome="duplicate") == 1
    assert metric_value(text, name, outcome="rejected") == 1
