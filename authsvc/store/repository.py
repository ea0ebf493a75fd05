"""All SQL the service runs. Each public method is one transaction.

Methods are synchronous (SQLAlchemy Core on a pooled engine); the services call them
from worker threads so the event loop never waits on the database. Concurrency rules
that must hold across processes live here, in SQL: the UNIQUE canonical e-mail, the
atomic failure counter, and the compare-and-set on refresh tokens and password hashes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    bindparam,
    delete,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from authsvc.domain.credentials import LoginState, LoginWrites, UserRecord
from authsvc.domain.outcomes import EmailTaken
from authsvc.domain.records import (
    Account,
    Principal,
    RotateOutcome,
    RotateResult,
    SessionRecord,
    ThrottleState,
)
from authsvc.domain.sessions import refresh_refusal
from authsvc.store.db import Database
from authsvc.store.models import login_throttle, refresh_tokens, sessions, users

__all__ = ["Repository"]


def _account(row: Row[Any]) -> Account:
    return Account(
        id=row.id,
        email_canonical=row.email_canonical,
        email_display=row.email_display,
        disabled=bool(row.disabled),
        created_at=row.created_at,
    )


def _user(row: Row[Any]) -> UserRecord:
    return UserRecord(password_hash=row.password_hash, **vars(_account(row)))


def _session(row: Row[Any], prefix: str = "") -> SessionRecord:
    mapping = row._mapping
    return SessionRecord(
        id=mapping[f"{prefix}id"],
        user_id=mapping[f"{prefix}user_id"],
        created_at=mapping[f"{prefix}created_at"],
        expires_at=mapping[f"{prefix}expires_at"],
        revoked_at=mapping[f"{prefix}revoked_at"],
    )


# users joined to sessions, with session columns prefixed so names do not collide. The
# password hash is left out: a principal is handed to routes, which never see a hash.
_PRINCIPAL_COLUMNS = (
    *(column for column in users.c if column.name != "password_hash"),
    *(column.label(f"s_{column.name}") for column in sessions.c),
)


_REFRESH_JOIN = refresh_tokens.join(sessions, sessions.c.id == refresh_tokens.c.session_id).join(
    users, users.c.id == sessions.c.user_id
)

# The statements of a login, built once. Building a statement and computing its cache key
# on every call cost more CPU than SQLite took to run it; a prebuilt one with bound
# parameters keeps its key memoised, so each call is a compiled-cache hit.

# One address, whether or not an account or a failure streak exists for it: a one-row
# key, the account and the streak joined to it.
_KEY = select(bindparam("email", type_=users.c.email_canonical.type).label("email")).subquery("k")
_LOGIN_STATE = select(
    *users.c,
    login_throttle.c.failures.label("t_failures"),
    login_throttle.c.locked_until.label("t_locked_until"),
).select_from(
    _KEY.outerjoin(users, users.c.email_canonical == _KEY.c.email).outerjoin(
        login_throttle, login_throttle.c.email_canonical == _KEY.c.email
    )
)
_INSERT_SESSION = insert(sessions)
_INSERT_REFRESH = insert(refresh_tokens)
# An active lock is never cleared by a success: a login that was verified just before
# concurrent failures locked the account must not unlock it.
_RESET_FAILURES = delete(login_throttle).where(
    login_throttle.c.email_canonical == bindparam("email"),
    or_(
        login_throttle.c.locked_until.is_(None),
        login_throttle.c.locked_until <= bindparam("now", type_=login_throttle.c.locked_until.type),
    ),
)
_UPGRADE_HASH = (
    update(users)
    .where(users.c.id == bindparam("user_id"), users.c.password_hash == bindparam("old_hash"))
    .values(password_hash=bindparam("new_hash"))
)


# The failure-counting upsert of Repository.record_failure, written as SQL text: SQLAlchemy
# 2.0 never caches its dialect upserts (their Insert has inherit_cache = False), so the
# expression form was compiled afresh on every failed login, which made a refused login
# about 0.8 ms of CPU slower than an accepted one. The text, with typed parameters and result
# columns, is cached like any statement. SQLite (3.35+) and PostgreSQL share the syntax.
# A streak is stale (restarts at 1) when its lock has expired, or when it has no lock and
# its last failure is older than the window.
_RECORD_FAILURE = (
    text(
        """
        INSERT INTO login_throttle (email_canonical, failures, locked_until, last_failure_at)
        VALUES (:email, 1, :first_lock, :now)
        ON CONFLICT (email_canonical) DO UPDATE SET
            failures = CASE
                WHEN (login_throttle.locked_until IS NOT NULL
                      AND login_throttle.locked_until <= :now)
                  OR (login_throttle.locked_until IS NULL
                      AND login_throttle.last_failure_at <= :stale_before)
                THEN 1
                ELSE login_throttle.failures + 1
            END,
            locked_until = CASE
                WHEN (login_throttle.locked_until IS NOT NULL
                      AND login_throttle.locked_until <= :now)
                  OR (login_throttle.locked_until IS NULL
                      AND login_throttle.last_failure_at <= :stale_before)
                THEN :first_lock
                WHEN login_throttle.locked_until IS NULL
                     AND login_throttle.failures + 1 >= :threshold
                THEN :lock_until
                ELSE login_throttle.locked_until
            END,
            last_failure_at = :now
        RETURNING failures, locked_until
        """
    )
    .bindparams(
        bindparam("email", type_=login_throttle.c.email_canonical.type),
        bindparam("threshold", type_=login_throttle.c.failures.type),
        *(
            bindparam(name, type_=login_throttle.c.last_failure_at.type)
            for name in ("now", "stale_before", "first_lock", "lock_until")
        ),
    )
    .columns(login_throttle.c.failures, login_throttle.c.locked_until)
)


class Repository:
    """Transactional data access for the service."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- accounts -----------------------------------------------------------------

    def find_user(self, email_canonical: str) -> UserRecord | None:
        """Return the account with this canonical e-mail, if any."""
        with self.db.read() as conn:
            row = conn.execute(
                select(users).where(users.c.email_canonical == email_canonical)
            ).first()
        return _user(row) if row is not None else None

    def create_user(self, user: UserRecord) -> UserRecord:
        """Insert ``user`` in one transaction; raise :class:`EmailTaken` on a duplicate.

        The UNIQUE constraint decides, so concurrent registrations of one address give
        exactly one account. A failure streak recorded against the address before it
        was registered is forgotten: it was not this account's.
        """
        try:
            with self.db.write() as conn:
                conn.execute(insert(users).values(**user.__dict__))
                conn.execute(
                    delete(login_throttle).where(
                        login_throttle.c.email_canonical == user.email_canonical
                    )
                )
        except IntegrityError:
            raise EmailTaken(user.email_canonical) from None
        return user

    def login_state(self, email_canonical: str, now: datetime) -> LoginState:
        """Return the account, its failure streak and any lock active at ``now``.

        One statement, so one snapshot: the address joined to the account and to the
        streak, either of which may be missing.
        """
        with self.db.read() as conn:
            row = conn.execute(_LOGIN_STATE, {"email": email_canonical}).one()
        locked_until = row.t_locked_until
        return LoginState(
            user=_user(row) if row.id is not None else None,
            locked_until=locked_until if locked_until is not None and locked_until > now else None,
            failures=row.t_failures or 0,
        )

    def record_failure(
        self, email_canonical: str, now: datetime, *, threshold: int, window: timedelta
    ) -> ThrottleState:
        """Count one failed attempt, atomically, and lock when the threshold is reached.

        One upsert statement does the increment, so concurrent failures (in any number
        of processes) each see a distinct count and the lock is set exactly when the
        count reaches ``threshold``. A lock that has expired, or a streak whose last
        failure is older than ``window``, restarts the count. Failures during a lock do
        not extend it.
        """
        params = {
            "email": email_canonical,
            "now": now,
            "lock_until": now + window,
            "first_lock": now + window if threshold <= 1 else None,
            "stale_before": now - window,
            "threshold": threshold,
        }
        with self.db.write() as conn:
            row = conn.execute(_RECORD_FAILURE, params).one()
        return ThrottleState(failures=row.failures, locked_until=row.locked_until)

    def change_password(self, user_id: str, *, old_hash: str, new_hash: str, now: datetime) -> bool:
        """Replace the hash (only if it is still ``old_hash``) and revoke every session.

        Returns ``False`` when the hash changed concurrently; nothing is written then.
        """
        with self.db.write() as conn:
            changed = conn.execute(
                update(users)
                .where(users.c.id == user_id, users.c.password_hash == old_hash)
                .values(password_hash=new_hash)
            ).rowcount
            if changed != 1:
                return False
            _revoke_user_sessions(conn, user_id, now, "password_changed")
            row = conn.execute(select(users.c.email_canonical).where(users.c.id == user_id)).one()
            _reset_failures(conn, row.email_canonical, now)
        return True

    # -- sessions -------------------------------------------------------------------

    def record_login(self, writes: LoginWrites) -> bool:
        """Write what a successful login decided, in one transaction; return whether the
        hash upgrade (if any) was written.

        The session and its first refresh token are inserted. The failure streak of
        ``writes.reset_streak`` is cleared unless a lock is active by now (concurrent
        failures may have locked the address after the check read it). The upgrade is a
        compare-and-set on the old hash, so a concurrent password change wins.
        """
        session = writes.session
        with self.db.write() as conn:
            conn.execute(_INSERT_SESSION, session.__dict__)
            conn.execute(
                _INSERT_REFRESH,
                {
                    "session_id": session.id,
                    "token_hash": writes.refresh_hash,
                    "created_at": session.created_at,
                },
            )
            if writes.reset_streak is not None:
                _reset_failures(conn, writes.reset_streak, session.created_at)
            upgrade = writes.upgrade
            if upgrade is None:
                return False
            changed = conn.execute(
                _UPGRADE_HASH,
                {
                    "user_id": upgrade.user_id,
                    "old_hash": upgrade.old_hash,
                    "new_hash": upgrade.new_hash,
                },
            )
            return changed.rowcount == 1

    def principal(self, session_id: str) -> Principal | None:
        """Return the session ``session_id`` and its user, or ``None`` if unknown."""
        with self.db.read() as conn:
            row = conn.execute(
                select(*_PRINCIPAL_COLUMNS)
                .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
                .where(sessions.c.id == session_id)
            ).first()
        if row is None:
            return None
        return Principal(session=_session(row, "s_"), user=_account(row))

    def revoke_session(self, session_id: str, now: datetime, reason: str) -> bool:
        """Revoke one session (and so its refresh family); ``False`` if already revoked."""
        with self.db.write() as conn:
            return _revoke(conn, sessions.c.id == session_id, now, reason) == 1

    def rotate_refresh(self, token_hash: str, new_hash: str, now: datetime) -> RotateResult:
        """Exchange the refresh token ``token_hash`` for ``new_hash``, in one transaction.

        A token that was already used means the family leaked: the whole session is
        revoked (and that revocation commits, though the caller reports a failure). The
        ``used_at IS NULL`` condition makes concurrent uses of one token race on a row
        update, so at most one of them wins.
        """
        with self.db.write() as conn:
            row = conn.execute(
                select(
                    refresh_tokens.c.id.label("rt_id"),
                    refresh_tokens.c.used_at.label("rt_used_at"),
                    *_PRINCIPAL_COLUMNS,
                )
                .select_from(_REFRESH_JOIN)
                .where(refresh_tokens.c.token_hash == token_hash)
            ).first()
            if row is None:
                return RotateResult(RotateOutcome.NOT_FOUND)
            principal = Principal(session=_session(row, "s_"), user=_account(row))
            # The session rule runs here, inside the transaction that claims the token.
            refusal = refresh_refusal(principal, used_at=row.rt_used_at, now=now)
            if refusal is None:
                claimed = conn.execute(
                    update(refresh_tokens)
                    .where(refresh_tokens.c.id == row.rt_id, refresh_tokens.c.used_at.is_(None))
                    .values(used_at=now)
                ).rowcount
                # Lost the race against a concurrent use of the same token: that is reuse.
                refusal = None if claimed == 1 else (RotateOutcome.REUSED, "refresh_reuse")
            if refusal is not None:
                outcome, revoke_reason = refusal
                if revoke_reason is not None:
                    _revoke(conn, sessions.c.id == principal.session.id, now, revoke_reason)
                return RotateResult(outcome)
            conn.execute(
                insert(refresh_tokens).values(
                    session_id=principal.session.id, token_hash=new_hash, created_at=now
                )
            )
        return RotateResult(RotateOutcome.ROTATED, principal)

    # -- housekeeping -----------------------------------------------------------------

    def prune(self, now: datetime, *, throttle_window: timedelta, session_grace: timedelta) -> int:
        """Delete stale failure streaks and long-expired sessions; return rows deleted."""
        t = login_throttle
        with self.db.write() as conn:
            streaks = conn.execute(
                delete(t).where(
                    t.c.last_failure_at <= now - throttle_window,
                    or_(t.c.locked_until.is_(None), t.c.locked_until <= now),
                )
            ).rowcount
            # Refresh tokens go with their session (ON DELETE CASCADE).
            old_sessions = conn.execute(
                delete(sessions).where(sessions.c.expires_at <= now - session_grace)
            ).rowcount
        return streaks + old_sessions

    def ping(self) -> None:
        """Raise if the database is unreachable."""
        self.db.ping()


def _reset_failures(conn: Connection, email_canonical: str, now: datetime) -> None:
    conn.execute(_RESET_FAILURES, {"email": email_canonical, "now": now})


def _revoke(conn: Connection, condition: Any, now: datetime, reason: str) -> int:
    return conn.execute(
        update(sessions)
        .where(condition, sessions.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    ).rowcount


def _revoke_user_sessions(conn: Connection, user_id: str, now: datetime, reason: str) -> int:
    return _revoke(conn, sessions.c.user_id == user_id, now, reason)
