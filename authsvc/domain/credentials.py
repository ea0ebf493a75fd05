"""Records that hold a password hash. Services and storage use them; routes may not.

The ``routes-no-hash`` import-linter contract forbids ``authsvc.routes`` to import this
module: whatever a route is handed comes from :mod:`authsvc.domain.records` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from authsvc.domain.records import Account, SessionRecord

__all__ = ["HashUpgrade", "LoginState", "LoginWrites", "UserRecord"]


@dataclass(frozen=True)
class UserRecord:
    """A stored account with its password hash; :attr:`account` is its hash-free view."""

    id: str
    email_canonical: str
    email_display: str
    password_hash: str
    disabled: bool
    created_at: datetime

    @property
    def account(self) -> Account:
        """The account without its hash: what may leave the service layer."""
        return Account(
            id=self.id,
            email_canonical=self.email_canonical,
            email_display=self.email_display,
            disabled=self.disabled,
            created_at=self.created_at,
        )


@dataclass(frozen=True)
class LoginState:
    """What a login needs before verifying: the account (if any), an active lock, and how
    many failures the address's streak holds (0: no streak is stored)."""

    user: UserRecord | None
    locked_until: datetime | None
    failures: int = 0


@dataclass(frozen=True)
class HashUpgrade:
    """Replace ``old_hash`` by ``new_hash`` for ``user_id``, unless it changed meanwhile."""

    user_id: str
    old_hash: str
    new_hash: str


@dataclass(frozen=True)
class LoginWrites:
    """Everything a successful login writes, decided by the service, written as one unit.

    ``reset_streak`` is the canonical e-mail whose failure streak is cleared, or ``None``
    when the check saw no streak to clear.
    """

    session: SessionRecord
    refresh_hash: str
    upgrade: HashUpgrade | None
    reset_streak: str | None
