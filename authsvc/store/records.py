"""Plain records the repository returns: the service layer never sees SQLAlchemy rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = [
    "EmailTaken",
    "LoginState",
    "Principal",
    "RotateOutcome",
    "RotateResult",
    "SessionRecord",
    "ThrottleState",
    "UserRecord",
]


class EmailTaken(Exception):  # noqa: N818 (a domain outcome, not an error condition)
    """The canonical e-mail already belongs to an account."""


@dataclass(frozen=True)
class UserRecord:
    """A stored account. ``password_hash`` never leaves the service layer."""

    id: str
    email_canonical: str
    email_display: str
    password_hash: str
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class SessionRecord:
    """A server-side session: the family its access and refresh tokens belong to."""

    id: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class Principal:
    """A session together with its user, as loaded for an authenticated request."""

    session: SessionRecord
    user: UserRecord


@dataclass(frozen=True)
class ThrottleState:
    """The failure counter of one canonical e-mail after an update."""

    failures: int
    locked_until: datetime | None


@dataclass(frozen=True)
class LoginState:
    """What a login needs before verifying: the account (if any), an active lock, and how
    many failures the address's streak holds (0: no streak is stored)."""

    user: UserRecord | None
    locked_until: datetime | None
    failures: int = 0


class RotateOutcome(StrEnum):
    """Result codes of a refresh-token rotation."""

    ROTATED = "rotated"
    NOT_FOUND = "not_found"
    REUSED = "reused"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True)
class RotateResult:
    """Outcome of :meth:`Repository.rotate_refresh`; ``principal`` is set when rotated."""

    outcome: RotateOutcome
    principal: Principal | None = None
