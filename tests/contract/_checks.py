"""Auth-specific response checks, registered with Schemathesis for every response.

Importing this module registers them (``@schemathesis.check``); they then run next to
the built-in checks in ``case.call_and_validate()`` and in the stateful phase. Each one
states an rule of ``docs/architecture.md`` / RFC 9457 / RFC 6750 that a generic schema
check cannot know:

- ``challenge_on_401``: every 401 carries ``WWW-Authenticate: Bearer ...`` (RFC 6750).
- ``no_secret_in_error``: no error body contains a submitted password or token, or
  anything shaped like a stored hash (argon2, PBKDF2, bcrypt).
- ``no_store_with_tokens``: a response that carries a token has ``Cache-Control: no-store``.
- ``errors_are_problem_json``: every 4xx/5xx is ``application/problem+json`` with
  ``type``, ``title`` and a ``status`` equal to the HTTP status.
- ``never_a_server_error``: no 5xx at all; the database is up, so even 503 is a bug.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import schemathesis
from schemathesis import Case, CheckContext, Response

__all__ = [
    "HASH_PATTERN",
    "challenge_on_401",
    "errors_are_problem_json",
    "never_a_server_error",
    "no_secret_in_error",
    "no_store_with_tokens",
]

#: Stored-hash shapes that must never appear in a response.
HASH_PATTERN = re.compile(r"\$argon2(?:id|i|d)\$|pbkdf2_sha256\$|\$2[aby]\$\d\d\$")
_SECRET_FIELDS = ("password", "current_password", "new_password", "refresh_token")
_TOKEN_FIELDS = ("access_token", "refresh_token")
# Shorter submitted values occur in bodies by chance ("password" in "The password is
# too short."); for them only an exact JSON value counts as an echo.
_MIN_SECRET_LENGTH = 10


def _header(response: Response, name: str) -> str | None:
    values = response.headers.get(name.lower())
    return values[0] if values else None


def _body_json(response: Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _submitted_secrets(case: Case[Any]) -> Iterator[str]:
    """Passwords and tokens the request carried, in the body or the Authorization header."""
    if isinstance(case.body, dict):
        for name in _SECRET_FIELDS:
            value = case.body.get(name)
            if isinstance(value, str):
                yield value
    authorization = case.headers.get("Authorization") if case.headers else None
    if isinstance(authorization, str):
        yield authorization.removeprefix("Bearer ").strip()


@schemathesis.check
def challenge_on_401(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """Every 401 tells the client how to authenticate (RFC 6750 section 3)."""
    if response.status_code != 401:
        return None
    challenge = _header(response, "WWW-Authenticate")
    if challenge is None or not challenge.startswith("Bearer"):
        raise AssertionError(f"401 without a Bearer WWW-Authenticate challenge: {challenge!r}")
    return True


def _json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


@schemathesis.check
def no_secret_in_error(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """An error body never echoes a submitted password or token, nor any stored hash.

    A secret is echoed when a JSON string of the body equals it, or, for secrets long
    enough not to occur in prose by chance, when the text contains it (raw or escaped).
    """
    if response.status_code < 400:
        return None
    text = response.content.decode("utf-8", errors="replace")
    if HASH_PATTERN.search(text):
        raise AssertionError("an error body contains something shaped like a password hash")
    values = set(_json_strings(_body_json(response)))
    for secret in _submitted_secrets(case):
        if not secret:
            continue
        if secret in values:
            raise AssertionError("an error body echoes a submitted password or token")
        # JSON escaping changes non-ASCII text; look for the escaped form too.
        escaped = json.dumps(secret)[1:-1]
        if len(secret) >= _MIN_SECRET_LENGTH and (secret in text or escaped in text):
            raise AssertionError("an error body echoes a submitted password or token")
    return True


@schemathesis.check
def no_store_with_tokens(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """A response carrying an access or refresh token must not be cached anywhere."""
    body = _body_json(response)
    if not (isinstance(body, dict) and any(name in body for name in _TOKEN_FIELDS)):
        return None
    cache_control = _header(response, "Cache-Control") or ""
    directives = {part.strip().lower() for part in cache_control.split(",")}
    if "no-store" not in directives:
        raise AssertionError(f"token response with Cache-Control {cache_control!r}")
    return True


@schemathesis.check
def errors_are_problem_json(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """Every error is RFC 9457 problem+json with type, title and the matching status."""
    if response.status_code < 400:
        return None
    content_type = (_header(response, "Content-Type") or "").split(";")[0].strip().lower()
    if content_type != "application/problem+json":
        raise AssertionError(f"{response.status_code} with Content-Type {content_type!r}")
    body = _body_json(response)
    fields = body if isinstance(body, dict) else {}
    missing = [name for name in ("type", "title", "status") if name not in fields]
    if missing:
        raise AssertionError(f"problem body (a JSON object) lacks {missing}")
    if fields["status"] != response.status_code:
        raise AssertionError(f"problem status {fields['status']!r} != HTTP {response.status_code}")
    return True


@schemathesis.check
def never_a_server_error(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """No 5xx anywhere: bad input is the client's error, and the database is reachable."""
    if response.status_code >= 500:
        raise AssertionError(f"server error {response.status_code}")
    return True
