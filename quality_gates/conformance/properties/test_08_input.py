# ruff: noqa: S101 - pytest tests: a failed assert is the verdict, with its message
"""Input validation: properties 44-46, 48, 49, 51 and 52."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx

from quality_gates.conformance.client import Account, TargetClient, json_of
from quality_gates.conformance.properties._support import (
    check_client_error,
    check_logged_in,
    claim,
    claimed,
    prop,
)
from quality_gates.conformance.target import Target

_CONTENT_TYPE = {"json": "application/json", "form": "application/x-www-form-urlencoded"}


def _raw(client: TargetClient, name: str, body: bytes, content_type: str | None) -> httpx.Response:
    endpoint = client.endpoint(name)
    headers = {"Content-Type": content_type} if content_type else {}
    return client.send(endpoint.method, endpoint.path, content=body, headers=headers)


def _encode(client: TargetClient, name: str, values: dict[str, Any]) -> bytes:
    body = client.body(name, values)
    if client.endpoint(name).encoding == "form":
        return urlencode(body).encode()
    return json.dumps(body).encode()


@prop("44")
def test_malformed_bodies_get_400_or_422(client: TargetClient) -> None:
    """Empty, broken, wrongly typed or incomplete bodies on register and login: 400/422."""
    for name in ("register", "login"):
        encoding = client.endpoint(name).encoding
        email, password = client.new_email("malformed"), client.new_password()
        field = client.endpoint(name).field
        bodies: dict[str, bytes] = {
            "empty body": b"",
            "no password": _encode(client, name, {"email": email}),
            "no e-mail": _encode(client, name, {"password": password}),
        }
        if encoding == "json":
            bodies |= {
                "broken JSON": b'{"',
                "a JSON array": b"[]",
                "JSON null": b"null",
                "JSON nested 2000 deep": b"[" * 2000 + b"]" * 2000,
                "a number out of double range": b'{"%s": 1e999}' % field("email").encode(),
            }
            wrong_types: tuple[object, ...] = (123, [], {}, None, True)
            for value in wrong_types:
                typed = {field("email"): email, field("password"): value}
                bodies[f"password {json.dumps(value)}"] = json.dumps(typed).encode()
        else:
            bodies["not UTF-8"] = b"%ff%fe=%ff"
        for what, raw in bodies.items():
            response = _raw(client, name, raw, _CONTENT_TYPE[encoding])
            if response.status_code not in (400, 422):
                client.decide(response)
                raise AssertionError(f"{name} with {what}: got {response.status_code}")
    client.note("every malformed body got 400 or 422")


@prop("45")
def test_unexpected_content_type_gets_415(client: TargetClient, target: Target) -> None:
    """A well-formed login body sent as text/plain, application/xml or untyped: 415.

    Unclaimed, the audit asks less: any clean refusal (4xx) will do; only a body read anyway
    (2xx) or a server error is an observation.
    """
    strict = claimed(target, "strict_content_type")
    claim(target, "strict_content_type")
    body = _encode(client, "login", {"email": client.new_email(), "password": "x" * 12})
    for content_type in ("text/plain", "application/xml", None):
        response = _raw(client, "login", body, content_type)
        client.decide(response)
        status = response.status_code
        refused = status == 415 if strict else 400 <= status < 500
        assert refused, f"Content-Type {content_type}: {status}"


@prop("46")
def test_large_bodies_get_413(client: TargetClient, target: Target) -> None:
    """A body 1 KiB over the claimed limit gets 413, and the service still answers."""
    limit = claim(target, "max_body_bytes")
    account = client.account()
    values = {"email": account.email, "password": "p" * (limit + 1024)}
    client.secret(values["password"], "oversized-password")
    response = client.call("login", values)
    client.decide(response)
    assert response.status_code == 413, f"a {limit + 1024}-byte body got {response.status_code}"
    check_logged_in(client, client.login(account.email, account.password), "afterwards")


@prop("48")
def test_privileged_fields_are_ignored_at_registration(client: TargetClient) -> None:
    """Registration with is_superuser, is_verified, role and id: refused, or ignored by ``me``."""
    password, forced_id = client.new_password(), str(uuid.uuid4())
    extra = {
        "is_superuser": True,
        "is_verified": True,
        "is_admin": True,
        "role": "admin",
        "roles": ["admin"],
        "id": forced_id,
    }
    email = client.new_email("mass")
    response = client.register(email, password, **extra)
    client.decide(response)
    if not client.ok("register", response):
        check_client_error(response, "registration with privileged fields")
        client.note("registration with privileged fields was refused")
        return
    me = client.me(client.session(Account(email, password)).access)
    client.decide(me)
    body = json_of(me) if me.headers.get("content-type", "").endswith("json") else {}
    granted = [
        key
        for key in ("is_superuser", "is_verified", "is_admin")
        if isinstance(body, dict) and body.get(key) is True
    ]
    if isinstance(body, dict) and (
        body.get("role") == "admin" or "admin" in (body.get("roles") or [])
    ):
        granted.append("role")
    if isinstance(body, dict) and body.get("id") == forced_id:
        granted.append("id")
    assert not granted, "registration assigned " + ", ".join(granted)


@prop("49")
def test_identifiers_are_validated(client: TargetClient) -> None:
    """Addresses without a domain or a local part are refused at registration."""
    for email in ("king.arthur", "king.arthur@", "@example.com"):
        response = client.register(email, client.new_password())
        client.decide(response)
        check_client_error(response, f"registration as {email!r}")


@prop("49")
def test_lookalike_identifiers_collide(client: TargetClient, target: Target) -> None:
    """``…Ω@`` (U+03A9) then ``…Ω@`` (U+2126 OHM), and an upper-case variant: duplicates."""
    claim(target, "identifier_canonicalisation")
    base = client.new_email("omega")
    local, _, domain = base.partition("@")
    account = client.account()
    response = client.register(f"{local}\u03a9@{domain}", client.new_password())
    assert client.ok("register", response), f"an Omega address was refused ({response.status_code})"
    for duplicate in (f"{local}\u2126@{domain}", account.email.upper()):
        response = client.register(duplicate, client.new_password())
        client.decide(response)
        check_client_error(response, f"registering the look-alike {duplicate!r}")


@prop("51")
def test_submitted_secrets_are_never_echoed(client: TargetClient) -> None:
    """A wrong password, or one sent with a bad address, is absent from the response."""
    account = client.account()
    echo = client.new_password()
    responses = [client.login(account.email, echo), client.register("no-at-sign", echo)]
    for response in responses:
        if echo in response.text:
            client.decide(response)
            raise AssertionError("the response echoes the submitted password")
    me = client.me(client.session(account).access)
    client.decide(me)
    keys = _keys(json_of(me)) if "json" in me.headers.get("content-type", "") else set()
    leaked = sorted(
        k for k in keys if any(word in k.lower() for word in ("password", "credential", "hash"))
    )
    assert not leaked, f"me returns secret fields: {', '.join(leaked)}"
    assert account.password not in me.text, "me echoes the password"


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(map(str, value)) | {k for item in value.values() for k in _keys(item)}
    if isinstance(value, list):
        return {k for item in value for k in _keys(item)}
    return set()
