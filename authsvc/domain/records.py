"""Records without secrets: what routes may see of an account and a session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = [
    "Account",
    "Principal",
    "RotateOutcome",
    "RotateResult",
    "SessionRecord",
    "ThrottleState",
]


@dataclass(frozen=True)
class Account:
    """An account as the service shows it outside the credential check: no password hash."""

    id: str
    email_canonical: str
    email_display: str
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
    """A session together with its account, as loaded for an authenticated request."""

    session: SessionRecord
    user: Account


@dataclass(frozen=True)
class ThrottleState:
    """The failure counter of one canonical e-mail after an update."""

    failures: int
    locked_until: datetime | None


class RotateOutcome(StrEnum):
    """Result codes of a refresh-token rotation."""

    ROTATED = "rotated"
    NOT_FOUND = "not_found"
    REUSED = "reused"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True)
class RotateResult:
    """Outcome of a refresh-token rotation; ``principal`` is set when rotated."""

    outcome: RotateOutcome
    principal: Principal | None = None
