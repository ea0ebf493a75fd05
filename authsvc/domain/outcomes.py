"""Outcomes the services raise. They say *what* happened, never *how to answer over HTTP*.

:mod:`authsvc.errors` maps each one to a problem+json response. ``reason`` attributes are
stable codes for logs and metrics; they are never sent to the client where that would
disclose something (a refused login does not say whether the account exists).
"""

# The classes name outcomes ("LoginRefused"), which reads better than an Error suffix.
# ruff: noqa: N818

from __future__ import annotations

__all__ = [
    "MISSING_TOKEN",
    "CurrentPasswordRejected",
    "EmailAlreadyRegistered",
    "EmailTaken",
    "InputRejected",
    "LoginRefused",
    "RateLimited",
    "RefreshRefused",
    "ServiceError",
    "StoreUnavailable",
    "Unauthenticated",
]


class EmailTaken(Exception):
    """Storage's answer to a second account for one canonical e-mail (the UNIQUE key).

    Not a :class:`ServiceError`: the service turns it into :class:`EmailAlreadyRegistered`
    (registration) or a skipped line (import).
    """


class ServiceError(Exception):
    """Base of every refusal a service raises on purpose."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class LoginRefused(ServiceError):
    """Bad credentials, unknown account, disabled or locked account: one answer for all."""


class RateLimited(ServiceError):
    """Too many attempts from one client; retry after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("client_rate_limited")
        self.retry_after = retry_after


class Unauthenticated(ServiceError):
    """No usable access token: missing, malformed, expired, or its session is revoked."""


#: The ``reason`` of an :class:`Unauthenticated` raised when the request carried no token.
MISSING_TOKEN = "missing_token"


class RefreshRefused(ServiceError):
    """A refresh token was unknown, reused, revoked or past the session's lifetime."""


class EmailAlreadyRegistered(ServiceError):
    """The canonical e-mail already belongs to an account."""


class CurrentPasswordRejected(ServiceError):
    """A password change gave the wrong current password (or the account is locked)."""


class InputRejected(ServiceError):
    """Input is well-formed but breaks a rule; ``problems`` lists ``(field, code)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(",".join(code for _, code in problems))
        self.problems = problems


class StoreUnavailable(ServiceError):
    """The database could not be reached."""
