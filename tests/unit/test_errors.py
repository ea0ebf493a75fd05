"""Problem details: every failure is application/problem+json, and nothing leaks."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from authsvc.errors import INVALID_CREDENTIALS, _pointer, field_problem, problem_response
from authsvc.store.models import users
from authsvc.store.repository import Repository
from tests.unit._helpers import EMAIL, PASSWORD, Api, services_of

pytestmark = pytest.mark.anyio

_LEAKS = re.compile(r"Traceback|sqlalchemy|sqlite|\$argon2|\$2[aby]\$|pbkdf2|File \"", re.I)
_BODY_ROUTES = ["/v1/users", "/v1/sessions", "/v1/sessions/refresh"]


def _assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert not _LEAKS.search(response.text)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "status"} <= set(body)
    return body


def _count_users(repo: Repository) -> int:
    with repo.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(users)).scalar_one())


@pytest.mark.parametrize("path", _BODY_ROUTES)
@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "malformed-body"),
        (b"   ", "malformed-body"),
        (b"{", "malformed-body"),
        (b"{'email': 1}", "malformed-body"),
        (b'{"email": NaN}', "malformed-body"),
        (b"\xff\xfe{}", "malformed-body"),
        (b'{"email": "\xe9"}', "malformed-body"),
        (b"[" * 50_000 + b"]" * 50_000, None),
    ],
    ids=["empty", "blank", "truncated", "single-quotes", "nan", "bom16", "latin1", "deep"],
)
async def test_malformed_bodies_are_400(
    client: httpx.AsyncClient, repo: Repository, path: str, content: bytes, code: str | None
) -> None:
    """Malformed, non-UTF-8, empty or absurdly nested: a 400 (413 if too big), no change."""
    response = await client.post(
        path, content=content, headers={"content-type": "application/json"}
    )
    if code is None:
        body = _assert_problem(response, 413)
    else:
        body = _assert_problem(response, 400)
        assert body["type"] == f"urn:authsvc:problem:{code}"
    assert _count_users(repo) == 0


async def test_deeply_nested_json_within_the_limit_is_400(client: httpx.AsyncClient) -> None:
    """Nesting that would overflow the parser's recursion is a clean 400."""
    content = b"[" * 30_000 + b"]" * 30_000
    response = await client.post(
        "/v1/sessions", content=content, headers={"content-type": "application/json"}
    )
    _assert_problem(response, 400)


@pytest.mark.parametrize("path", _BODY_ROUTES)
@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
        "application/jsonx",
        "multipart/form-data",
    ],
)
async def test_wrong_content_type_is_415(
    client: httpx.AsyncClient, path: str, content_type: str | None
) -> None:
    """Only application/json bodies are accepted."""
    headers = {"content-type": content_type} if content_type else {}
    response = await client.post(path, content=b'{"email": "a@b.c"}', headers=headers)
    _assert_problem(response, 415)


@pytest.mark.parametrize(
    ("content_type", "named"),
    [
        ("application/json; charset=latin-1", "charset"),
        ('application/json; charset="ISO-8859-1"', "charset"),
        ("application/json; charset=utf-16", "charset"),
        ("text/plain; charset=latin-1", "send Content-Type: application/json"),
        ("text/plain; charset=utf-8", "send Content-Type: application/json"),
    ],
)
async def test_the_415_names_what_is_wrong(
    client: httpx.AsyncClient, content_type: str, named: str
) -> None:
    """A JSON type with another charset is a charset problem, anything else a type problem."""
    response = await client.post(
        "/v1/sessions", content=b"{}", headers={"content-type": content_type}
    )
    detail = _assert_problem(response, 415)["detail"]
    assert named in detail
    wrong = {"charset", "send Content-Type: application/json"} - {named}
    assert wrong.pop() not in detail


@pytest.mark.parametrize(
    ("headers", "challenge"),
    [
        # RFC 6750 §3.1: a request that sent no credentials gets no error attribute...
        ({}, 'Bearer realm="authsvc"'),
        # ...and one whose token is unusable gets error="invalid_token".
        ({"Authorization": "Bearer not-a-token"}, 'Bearer realm="authsvc", error="invalid_token"'),
        ({"Authorization": "Bearer a.b.c"}, 'Bearer realm="authsvc", error="invalid_token"'),
    ],
    ids=["no-token", "garbage", "bad-jwt"],
)
async def test_the_401_challenge_says_invalid_token_only_for_a_token(
    client: httpx.AsyncClient, headers: dict[str, str], challenge: str
) -> None:
    """The bearer challenge of a 401 on a protected route."""
    response = await client.get("/v1/me", headers=headers)
    _assert_problem(response, 401)
    assert response.headers["www-authenticate"] == challenge


@pytest.mark.parametrize("content_type", ["application/json", "Application/JSON; charset=UTF-8"])
async def test_json_content_types_are_accepted(
    client: httpx.AsyncClient, content_type: str
) -> None:
    """Media type and charset are compared case-insensitively."""
    response = await client.post(
        "/v1/users",
        content=f'{{"email": "{EMAIL}", "password": "{PASSWORD}"}}'.encode(),
        headers={"content-type": content_type},
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"email": EMAIL},
        {"password": PASSWORD},
        {},
        {"email": EMAIL, "password": 123},
        {"email": EMAIL, "password": None},
        {"email": EMAIL, "password": ["x"]},
        {"email": EMAIL, "password": {"a": 1}},
        {"email": EMAIL, "password": True},
        {"email": 5, "password": PASSWORD},
        [EMAIL, PASSWORD],
        "just a string",
        None,
    ],
)
@pytest.mark.parametrize("path", ["/v1/users", "/v1/sessions"])
async def test_schema_violations_are_422_without_values(
    client: httpx.AsyncClient, repo: Repository, path: str, body: Any
) -> None:
    """Missing fields and wrong types: 422 with pointers, never the submitted values."""
    response = await client.post(
        path, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    problem = _assert_problem(response, 422)
    assert problem["errors"]
    for error in problem["errors"]:
        assert set(error) == {"pointer", "code", "detail"}
    assert PASSWORD not in response.text
    assert "input" not in response.text
    assert _count_users(repo) == 0


async def test_lone_surrogates_are_refused_cleanly(client: httpx.AsyncClient) -> None:
    """JSON escapes for unpaired surrogates reach the rules, not the database."""
    for path, content in (
        ("/v1/users", b'{"email": "a\\ud800@example.com", "password": "long enough 1"}'),
        ("/v1/users", b'{"email": "a@example.com", "password": "long enough \\ud800"}'),
        ("/v1/sessions", b'{"email": "a\\ud800@example.com", "password": "x\\udfff"}'),
        ("/v1/sessions/refresh", b'{"refresh_token": "\\ud800"}'),
    ):
        response = await client.post(
            path, content=content, headers={"content-type": "application/json"}
        )
        assert 400 <= response.status_code < 500, (path, response.text)


async def test_unknown_path_is_404_problem(client: httpx.AsyncClient) -> None:
    """404 is problem+json too."""
    body = _assert_problem(await client.get("/v1/nothing-here"), 404)
    assert body == {"type": "about:blank", "title": "Not Found", "status": 404}


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/v1/sessions", "POST"),
        ("PUT", "/v1/users", "POST"),
        ("POST", "/v1/me", "GET"),
        ("GET", "/v1/sessions/current", "DELETE"),
        ("TRACE", "/v1/sessions", "POST"),
    ],
)
async def test_wrong_method_is_405_with_allow(
    client: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    """405 problem with the Allow header."""
    response = await client.request(method, path)
    _assert_problem(response, 405)
    assert set(response.headers["allow"].split(", ")) == set(allow.split(", "))


async def test_unexpected_error_is_generic_500(
    app: FastAPI, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug becomes a bare 500 problem: no type name, message or stack."""

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise ZeroDivisionError("secret detail SELECT * FROM users")

    monkeypatch.setattr(services_of(app).repo, "find_user", broken)
    response = await api.register()
    body = _assert_problem(response, 500)
    assert "ZeroDivision" not in response.text
    assert "secret detail" not in response.text
    assert body["type"] == "about:blank"


def test_invalid_credentials_problem_is_one_constant() -> None:
    """All refused logins are built from one object."""
    assert INVALID_CREDENTIALS.status == 401
    assert INVALID_CREDENTIALS.headers == {"WWW-Authenticate": 'Bearer realm="authsvc"'}


def test_problem_response_shape() -> None:
    """type defaults to about:blank and title to the status phrase (RFC 9110 names)."""
    response = problem_response(413)
    assert response.media_type == "application/problem+json"
    assert response.body == b'{"type":"about:blank","title":"Content Too Large","status":413}'
    coded = problem_response(409, code="email-taken", title="Taken", detail="d")
    assert b'"type":"urn:authsvc:problem:email-taken"' in coded.body


@pytest.mark.parametrize(
    ("loc", "pointer"),
    [
        (("body", "password"), "#/password"),
        (("body",), "#"),
        (("body", "a/b", 0), "#/a~1b/0"),
        (("body", "x" * 500), "#/" + "x" * 64),
        (("header", "authorization"), "#/header/authorization"),
        ((), "#"),
    ],
)
def test_pointer(loc: tuple[Any, ...], pointer: str) -> None:
    """Error locations become JSON Pointers, escaped and cut short."""
    assert _pointer(loc) == pointer


def test_field_problem_uses_known_texts() -> None:
    """Reason codes get a human text; unknown codes fall back to the code."""
    assert field_problem("password", "password_common")["detail"].startswith("This password")
    assert field_problem("x", "weird")["detail"] == "weird"


async def test_last_resort_handlers() -> None:
    """The Exception handler (used only by Starlette's outermost middleware) and an
    unmapped service error both give the bare 500."""
    from starlette.requests import Request  # noqa: PLC0415

    from authsvc.domain.outcomes import ServiceError  # noqa: PLC0415
    from authsvc.errors import _handle_service, _handle_unexpected  # noqa: PLC0415

    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    unexpected = await _handle_unexpected(request, RuntimeError("secret"))
    assert unexpected.status_code == 500
    assert b"secret" not in unexpected.body
    assert unexpected.headers["x-content-type-options"] == "nosniff"
    unmapped = await _handle_service(request, ServiceError("new_kind"))
    assert unmapped.status_code == 500
