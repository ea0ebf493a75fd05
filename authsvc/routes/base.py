"""The route class every endpoint uses: JSON bodies are checked before FastAPI parses them.

FastAPI would treat a ``text/plain`` body as raw bytes (a confusing 422), fall back to
a 400 with no detail for bad encodings, and echo the document in JSON decode errors.
This route answers first: 415 for anything but ``application/json`` (UTF-8), and 400
problem+json for an empty body, invalid UTF-8, malformed or absurdly nested JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn

from fastapi import Request, Response
from fastapi.routing import APIRoute

from authsvc.domain.records import Account
from authsvc.errors import PROBLEM_JSON, ProblemException
from authsvc.schemas import UserOut

__all__ = [
    "JsonRoute",
    "check_json_body",
    "check_json_content_type",
    "problem_responses",
    "user_out",
]

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _malformed(detail: str) -> NoReturn:
    raise ProblemException(
        400, code="malformed-body", title="Malformed request body", detail=detail
    )


def _reject_constant(name: str) -> NoReturn:
    # NaN and Infinity are not JSON (RFC 8259); Python's parser accepts them by default.
    raise ValueError(f"invalid JSON constant {name}")


def check_json_content_type(value: str | None) -> None:
    """Raise a 415 problem unless ``value`` is ``application/json`` (charset UTF-8 if given)."""
    media_type, *params = (part.strip() for part in (value or "").split(";"))
    if media_type.lower() != "application/json":
        raise ProblemException(
            415, detail="Request bodies must be JSON: send Content-Type: application/json."
        )
    for param in params:
        name, _, param_value = param.partition("=")
        charset = param_value.strip().strip('"')
        if name.strip().lower() == "charset" and charset.lower() not in {"utf-8", "utf8"}:
            # The media type is right: name what is wrong, or a client is left guessing.
            raise ProblemException(
                415,
                detail="Unsupported charset: JSON bodies must be UTF-8 "
                "(send charset=utf-8, or no charset parameter).",
            )


def check_json_body(body: bytes) -> None:
    """Raise a 400 problem unless ``body`` is one well-formed UTF-8 JSON document."""
    if not body.strip():
        _malformed("The request body is empty; a JSON object is required.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        _malformed("The request body is not valid UTF-8.")
    try:
        json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        _malformed("The JSON document is nested too deeply.")
    except ValueError:  # JSONDecodeError, and our constant refusal
        _malformed("The request body is not valid JSON.")


class JsonRoute(APIRoute):
    """An :class:`APIRoute` that vets JSON request bodies before FastAPI parses them."""

    def get_route_handler(self) -> Handler:
        """Wrap FastAPI's handler with the content-type and JSON checks (body routes only)."""
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def vetted(request: Request) -> Response:
            check_json_content_type(request.headers.get("content-type"))
            check_json_body(await request.body())
            return await handler(request)

        return vetted


_PROBLEM_DESCRIPTIONS = {
    400: "Malformed body: empty, not UTF-8, or not JSON.",
    401: "Missing, invalid or revoked credentials.",
    403: "The current password was rejected.",
    409: "The e-mail address is already registered.",
    413: "The request body is too large.",
    415: "The body is not application/json.",
    422: "The body breaks the schema or a rule; see errors.",
    429: "Too many attempts from this client; see Retry-After.",
    503: "The database is unreachable.",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for problem+json answers with these status codes."""
    content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {
        status: {"description": _PROBLEM_DESCRIPTIONS[status], "content": content}
        for status in statuses
    }


def user_out(user: Account) -> UserOut:
    """The public view of an account: never its hash, never its canonical key."""
    return UserOut(id=user.id, email=user.email_display, created_at=user.created_at)
