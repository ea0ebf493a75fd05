"""The auth checks of ``_checks.py`` catch what they claim to, and pass what is right.

A check that never fails proves nothing, so each one is shown a compliant response and
the violations it exists for, built by hand.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis import Case, CheckContext, Response
from schemathesis.config import ChecksConfig

from authsvc.app import openapi_document
from tests.contract._checks import (
    challenge_on_401,
    errors_are_problem_json,
    never_a_server_error,
    no_secret_in_error,
    no_store_with_tokens,
)

PASSWORD = "correct horse battery staple"
PROBLEM = {"type": "about:blank", "title": "Unauthorized", "status": 401}
ARGON2 = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA"
BCRYPT = "$2b$12$" + "a" * 53
PBKDF2 = "pbkdf2_sha256$600000$salt$aGFzaA=="
# json.dumps escapes it to \u sequences in the body, the form a server would send.
NON_ASCII = "p\u00e4ss w\u00f6rd \U0001f511 long enough"


@pytest.fixture(scope="module")
def login_case() -> Case[Any]:
    """A login request carrying a password, from the service's own document."""
    schema = schemathesis.openapi.from_dict(openapi_document())
    return schema["/v1/sessions"]["POST"].Case(
        body={"email": "ada@example.com", "password": PASSWORD},
        media_type="application/json",
        headers={"Authorization": "Bearer eyJ.secret-token.value"},
    )


@pytest.fixture(scope="module")
def ctx() -> CheckContext:
    """A check context with the default configuration."""
    return CheckContext(
        override=None,
        auth=None,
        headers=None,
        config=ChecksConfig(),
        transport_kwargs=None,
        response_checks=None,
    )


def response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """A response as Schemathesis hands it to checks."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    all_headers = {"Content-Type": "application/problem+json"} | (headers or {})
    request = requests.Request("POST", "http://testserver/v1/sessions").prepare()
    return Response(
        status_code=status,
        headers={name: [value] for name, value in all_headers.items()},
        content=content,
        request=request,
        elapsed=0.01,
        verify=True,
    )


CHALLENGE = {"WWW-Authenticate": 'Bearer realm="authsvc"'}


def test_challenge_on_401(ctx: CheckContext, login_case: Case[Any]) -> None:
    """A 401 needs a Bearer challenge; other statuses are not its business."""
    assert challenge_on_401(ctx, response(401, PROBLEM, CHALLENGE), login_case)
    assert challenge_on_401(ctx, response(200, {}), login_case) is None
    with pytest.raises(AssertionError, match="WWW-Authenticate"):
        challenge_on_401(ctx, response(401, PROBLEM), login_case)
    with pytest.raises(AssertionError, match="Bearer"):
        challenge_on_401(ctx, response(401, PROBLEM, {"WWW-Authenticate": "Basic"}), login_case)


@pytest.mark.parametrize(
    "leak",
    [
        PASSWORD,
        NON_ASCII,
        "eyJ.secret-token.value",
        ARGON2,
        BCRYPT,
        PBKDF2,
    ],
    ids=["password", "non-ascii-password", "bearer-token", "argon2", "bcrypt", "pbkdf2"],
)
def test_no_secret_in_error_catches_each_leak(
    ctx: CheckContext, login_case: Case[Any], leak: str
) -> None:
    """A password, a token, or any hash shape in an error body fails the check; a
    non-ASCII password is caught in its JSON-escaped form too."""
    case = login_case
    if leak == NON_ASCII:
        case = login_case.operation.Case(
            body={"email": "a@b.io", "password": NON_ASCII}, media_type="application/json"
        )
    body = {**PROBLEM, "detail": f"bad input: {leak}"}
    with pytest.raises(AssertionError):
        no_secret_in_error(ctx, response(401, body, CHALLENGE), case)


def test_no_secret_in_error_passes_clean_errors_and_successes(
    ctx: CheckContext, login_case: Case[Any]
) -> None:
    """A generic error passes; a success is not an error body."""
    assert no_secret_in_error(ctx, response(401, PROBLEM, CHALLENGE), login_case)
    assert no_secret_in_error(ctx, response(200, {"password": PASSWORD}), login_case) is None


def test_no_store_with_tokens(ctx: CheckContext, login_case: Case[Any]) -> None:
    """A token-carrying response must say no-store; bodies without tokens are exempt."""
    tokens = {"access_token": "a", "refresh_token": "r", "token_type": "bearer"}
    no_store = {"Cache-Control": "private, no-store"}
    assert no_store_with_tokens(ctx, response(200, tokens, no_store), login_case)
    assert no_store_with_tokens(ctx, response(200, {"id": "x"}), login_case) is None
    for cache_control in ({}, {"Cache-Control": "no-cache"}, {"Cache-Control": "max-age=60"}):
        with pytest.raises(AssertionError, match="Cache-Control"):
            no_store_with_tokens(ctx, response(200, tokens, cache_control), login_case)


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (PROBLEM, {"Content-Type": "application/json"}, "Content-Type"),
        (b"<html>500</html>", {"Content-Type": "text/html"}, "Content-Type"),
        ({"type": "about:blank", "status": 401}, {}, "title"),
        (["not", "an", "object"], {}, "lacks"),
        ({**PROBLEM, "status": 400}, {}, "status"),
    ],
    ids=["plain-json", "html", "no-title", "not-an-object", "status-mismatch"],
)
def test_errors_are_problem_json_catches(
    ctx: CheckContext,
    login_case: Case[Any],
    body: Any,
    headers: dict[str, str],
    message: str,
) -> None:
    """Wrong media type, missing members or a status that disagrees fail the check."""
    with pytest.raises(AssertionError, match=message):
        errors_are_problem_json(ctx, response(401, body, headers), login_case)


def test_errors_are_problem_json_passes(ctx: CheckContext, login_case: Case[Any]) -> None:
    """A complete problem passes, with or without a charset parameter."""
    charset = {"Content-Type": "application/problem+json; charset=utf-8"}
    assert errors_are_problem_json(ctx, response(401, PROBLEM), login_case)
    assert errors_are_problem_json(ctx, response(401, PROBLEM, charset), login_case)
    assert errors_are_problem_json(ctx, response(204, b""), login_case) is None


@pytest.mark.parametrize("status", [500, 502, 503])
def test_never_a_server_error(ctx: CheckContext, login_case: Case[Any], status: int) -> None:
    """Any 5xx fails, 503 included: in these runs the database is always up."""
    with pytest.raises(AssertionError, match=str(status)):
        never_a_server_error(ctx, response(status, {**PROBLEM, "status": status}), login_case)
    assert never_a_server_error(ctx, response(422, PROBLEM), login_case)


def test_no_secret_in_error_short_secrets(ctx: CheckContext, login_case: Case[Any]) -> None:
    """A short password is an echo when it comes back as a value, not when the word
    happens to occur in the service's own prose."""
    case = login_case.operation.Case(
        body={"email": "a@b.io", "password": "password"}, media_type="application/json"
    )
    prose = {**PROBLEM, "detail": "This password is too common; choose another."}
    assert no_secret_in_error(ctx, response(401, prose, CHALLENGE), case)
    echoed = {**PROBLEM, "errors": [{"pointer": "#/password", "input": "password"}]}
    with pytest.raises(AssertionError, match="echoes"):
        no_secret_in_error(ctx, response(401, echoed, CHALLENGE), case)
