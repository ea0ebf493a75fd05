"""RFC 9457 problem details for every 4xx and 5xx the service sends.

One place decides the body and headers of each failure, so failures that must look alike
(every refused login) are built from the same constants and cannot drift apart. Bodies
never echo submitted values, and never carry a stack trace, SQL, hash or secret.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ExceptionHandler

from authsvc.domain.outcomes import (
    MISSING_TOKEN,
    CurrentPasswordRejected,
    EmailAlreadyRegistered,
    InputRejected,
    LoginRefused,
    RateLimited,
    RefreshRefused,
    ServiceError,
    StoreUnavailable,
    Unauthenticated,
)
from authsvc.logs import log_event, request_id_var

__all__ = [
    "PROBLEM_JSON",
    "ProblemException",
    "install_error_handlers",
    "problem_response",
    "security_headers",
]

PROBLEM_JSON = "application/problem+json"
_TYPE_PREFIX = "urn:authsvc:problem:"
#: The challenge on every 401 (RFC 6750); a request without any token gets it bare (§3.1:
#: no error code when the client sent no credentials).
BEARER_CHALLENGE = 'Bearer realm="authsvc"'
_INVALID_TOKEN_CHALLENGE = 'Bearer realm="authsvc", error="invalid_token"'

# Human text for the reason codes of security.identifiers and security.passwords.
_CODE_DETAIL = {
    "email_empty": "An e-mail address is required.",
    "email_too_long": "The e-mail address is too long.",
    "email_invalid": "This is not a valid e-mail address.",
    "password_too_short": "The password is too short.",
    "password_too_long": "The password must not exceed 1024 characters.",
    "password_common": "This password is too common; choose another.",
    "password_contains_email": "The password must not contain the e-mail address.",
    "password_invalid": "The password contains characters that cannot be stored.",
}
_MAX_POINTER_SEGMENT = 64
# RFC 9110 renamed these; Python's http.HTTPStatus still has the RFC 7231 phrases.
_TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}


class ProblemException(Exception):  # noqa: N818 (it *is* the problem, not an error about one)
    """Raise to answer with a problem+json response."""

    def __init__(
        self,
        status: int,
        *,
        code: str | None = None,
        title: str | None = None,
        detail: str | None = None,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(code or str(status))
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.errors = errors


def security_headers() -> dict[str, str]:
    """Headers every response carries (also added by the request middleware)."""
    return {
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Request-ID": request_id_var.get(),
    }


def problem_response(
    status: int,
    *,
    code: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, str]] | None = None,
) -> JSONResponse:
    """Build a problem+json response; ``code`` selects a specific problem type URI."""
    body: dict[str, Any] = {
        "type": f"{_TYPE_PREFIX}{code}" if code else "about:blank",
        "title": title or _TITLES.get(status) or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _from_exception(exc: ProblemException) -> JSONResponse:
    return problem_response(
        exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        headers=exc.headers,
        errors=exc.errors,
    )


def field_problem(field: str, code: str) -> dict[str, str]:
    """One entry of a problem's ``errors`` list."""
    return {"pointer": f"#/{field}", "code": code, "detail": _CODE_DETAIL.get(code, code)}


# The single answer to every refused login, whatever the reason.
INVALID_CREDENTIALS = ProblemException(
    401,
    code="invalid-credentials",
    title="Invalid credentials",
    detail="The e-mail address or password is incorrect.",
    headers={"WWW-Authenticate": BEARER_CHALLENGE},
)


def _service_problem(exc: ServiceError) -> ProblemException:  # noqa: PLR0911 (one per kind)
    if isinstance(exc, LoginRefused):
        return INVALID_CREDENTIALS
    if isinstance(exc, RateLimited):
        return ProblemException(
            429,
            code="rate-limited",
            title="Too many attempts",
            detail="Too many attempts from this client; retry later.",
            headers={"Retry-After": str(exc.retry_after)},
        )
    if isinstance(exc, Unauthenticated):
        missing = exc.reason == MISSING_TOKEN
        return ProblemException(
            401,
            code="invalid-token",
            title="Authentication required",
            detail="A valid access token is required.",
            headers={"WWW-Authenticate": BEARER_CHALLENGE if missing else _INVALID_TOKEN_CHALLENGE},
        )
    if isinstance(exc, RefreshRefused):
        return ProblemException(
            401,
            code="invalid-grant",
            title="Invalid refresh token",
            detail="The refresh token is invalid, expired or revoked.",
            headers={"WWW-Authenticate": _INVALID_TOKEN_CHALLENGE},
        )
    if isinstance(exc, EmailAlreadyRegistered):
        return ProblemException(
            409,
            code="email-taken",
            title="E-mail already registered",
            detail="An account with this e-mail address already exists.",
        )
    if isinstance(exc, CurrentPasswordRejected):
        return ProblemException(
            403,
            code="current-password-rejected",
            title="Current password rejected",
            detail="The current password is incorrect.",
        )
    if isinstance(exc, InputRejected):
        return ProblemException(
            422,
            code="invalid-request",
            title="Invalid request",
            detail="Some fields break the rules.",
            errors=[field_problem(field, code) for field, code in exc.problems],
        )
    if isinstance(exc, StoreUnavailable):
        return ProblemException(
            503,
            code="unavailable",
            title="Service unavailable",
            detail="The service cannot reach its database; retry later.",
            headers={"Retry-After": "5"},
        )
    return ProblemException(500)


def _pointer(loc: tuple[Any, ...]) -> str:
    # ("body", "password") -> "#/password"; names in unknown-field errors are chosen by
    # the client, so each segment is cut short.
    segments = [str(part)[:_MAX_POINTER_SEGMENT] for part in loc]
    if segments[:1] == ["body"]:
        segments = segments[1:]
    escaped = [segment.replace("~", "~0").replace("/", "~1") for segment in segments]
    return "#/" + "/".join(escaped) if escaped else "#"


async def _handle_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        # Only the location, type and pydantic's message: never "input" or "ctx", which
        # hold the submitted value (a password, for instance).
        {"pointer": _pointer(tuple(err.get("loc", ()))), "code": str(err.get("type", "invalid"))}
        | {"detail": str(err.get("msg", "Invalid value."))}
        for err in exc.errors()
    ]
    return problem_response(
        422,
        code="invalid-request",
        title="Invalid request",
        detail="The request body does not match the schema.",
        errors=errors,
    )


async def _handle_http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    # Keep protocol headers such as Allow (405); the detail is the status phrase only,
    # since framework details are not written for clients.
    headers = dict(exc.headers or {})
    return problem_response(exc.status_code, headers=headers)


async def _handle_problem(_request: Request, exc: ProblemException) -> JSONResponse:
    return _from_exception(exc)


async def _handle_service(_request: Request, exc: ServiceError) -> JSONResponse:
    return _from_exception(_service_problem(exc))


def internal_error_response() -> JSONResponse:
    """The generic 500: no detail at all."""
    response = problem_response(500, detail="An unexpected error occurred.")
    response.headers.update(security_headers())
    return response


async def _handle_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log_event(
        "unhandled_exception",
        outcome="error",
        reason=type(exc).__name__,
        level=logging.ERROR,
        exc_info=exc,
    )
    return internal_error_response()


def install_error_handlers(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""
    # Starlette types handlers as taking any Exception; each of these is registered for
    # exactly the class it accepts, which the casts record.
    app.add_exception_handler(RequestValidationError, cast(ExceptionHandler, _handle_validation))
    app.add_exception_handler(StarletteHTTPException, cast(ExceptionHandler, _handle_http))
    app.add_exception_handler(ProblemException, cast(ExceptionHandler, _handle_problem))
    app.add_exception_handler(ServiceError, cast(ExceptionHandler, _handle_service))
    app.add_exception_handler(Exception, _handle_unexpected)
