"""When a session stops being usable: the one rule for access tokens and refresh tokens.

The rule is a pure function of a loaded :class:`Principal` and the time, not an SQL filter:
a refresh must tell *why* it refuses (the metric and the revocation differ), and a reused
token must be decided in the same transaction that claims it, so the repository loads the
rows, asks this module, and writes the verdict before it commits.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from authsvc.domain.records import Principal, RotateOutcome

__all__ = ["RefreshRefusal", "SessionFault", "refresh_refusal", "session_fault"]


class SessionFault(StrEnum):
    """Why a known session no longer authenticates; the values are log reason codes."""

    REVOKED = "session_revoked"
    EXPIRED = "session_expired"
    DISABLED = "account_disabled"


def session_fault(principal: Principal, now: datetime) -> SessionFault | None:
    """The first thing wrong with ``principal`` at ``now``, or ``None`` if it is usable.

    A session ends at ``expires_at`` itself (the end is exclusive).
    """
    if principal.session.revoked_at is not None:
        return SessionFault.REVOKED
    if principal.session.expires_at <= now:
        return SessionFault.EXPIRED
    if principal.user.disabled:
        return SessionFault.DISABLED
    return None


#: A refused rotation: its outcome, and the reason to revoke the session with (or ``None``).
RefreshRefusal = tuple[RotateOutcome, str | None]


def refresh_refusal(
    principal: Principal, *, used_at: datetime | None, now: datetime
) -> RefreshRefusal | None:
    """Why a refresh token of ``principal`` must be refused, or ``None`` to rotate it.

    The session rule, with reuse checked right after revocation: a spent token on a live
    (even expired or disabled) session means the family leaked, so the session is revoked.
    An account disabled since the session began revokes the session too.
    """
    fault = session_fault(principal, now)
    if fault is SessionFault.REVOKED:
        return RotateOutcome.REVOKED, None
    if used_at is not None:
        return RotateOutcome.REUSED, "refresh_reuse"
    if fault is SessionFault.EXPIRED:
        return RotateOutcome.EXPIRED, None
    if fault is SessionFault.DISABLED:
        return RotateOutcome.REVOKED, "account_disabled"
    return None
