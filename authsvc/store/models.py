"""Table definitions (SQLAlchemy Core): the schema at the newest migration.

Alembic migrations in :mod:`authsvc.migrations` create this schema; a unit test checks
that migrating to head gives exactly these tables, so the two never drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    false,
)

__all__ = ["UTCDateTime", "login_throttle", "metadata", "refresh_tokens", "sessions", "users"]

# Explicit constraint names: Alembic batch migrations on SQLite need them, and PostgreSQL
# and SQLite then agree on what each constraint is called.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: Canonical e-mails are at most 254 code points; the column leaves room.
EMAIL_LENGTH = 320


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend.

    SQLite has no time zones: values are stored as naive UTC and come back aware, so
    Python comparisons never mix naive and aware datetimes, and SQL comparisons of
    stored values against bound parameters compare like with like.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC (naive on SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        """Return an aware UTC datetime."""
        if not isinstance(value, datetime):
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    # The canonical form (trim, NFKC, casefold) is the identity: unique, so two spellings
    # of one address can never become two accounts, even under concurrent registration.
    Column("email_canonical", String(EMAIL_LENGTH), nullable=False, unique=True),
    Column("email_display", String(EMAIL_LENGTH), nullable=False),
    Column("password_hash", String(512), nullable=False),
    Column("disabled", Boolean, nullable=False, server_default=false()),
    Column("created_at", UTCDateTime, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column(
        "user_id",
        String(36),
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("created_at", UTCDateTime, nullable=False),
    # Absolute lifetime of the session and its refresh-token family.
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("revoked_reason", String(32), nullable=True),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "session_id",
        String(36),
        ForeignKey("sessions.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # Only a hash of the token is stored; a database leak yields no usable token.
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
)

login_throttle = Table(
    "login_throttle",
    metadata,
    # Keyed by canonical e-mail, not user id: unknown addresses lock exactly like known
    # ones, so a lock reveals nothing about whether an account exists.
    Column("email_canonical", String(EMAIL_LENGTH), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", UTCDateTime, nullable=True),
    Column("last_failure_at", UTCDateTime, nullable=False),
)

Index("ix_login_throttle_last_failure_at", login_throttle.c.last_failure_at)
