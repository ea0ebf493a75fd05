"""Failed-login accounting of the zoo target: per account (clean) or per client (a defect).

Clean: an attempt is counted *before* its password is verified, in one database call that also
checks the lock, so concurrent guesses can never be verified beyond the threshold; a success
resets the count. The ``lockout-race`` defect reads the count, verifies, then writes the count
it read plus one; ``success-keeps-failures`` gives back only the successful attempt.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tests.conformance.defect_target.web import Settings


def reserve(settings: Settings, account_id: int, now: float) -> Any:
    """Count one attempt unless the account is locked; whether the attempt may proceed."""

    def work(db: sqlite3.Connection) -> bool:
        row = db.execute(
            "SELECT failures, locked_until FROM accounts WHERE id = ?", (account_id,)
        ).fetchone()
        failures, locked_until = int(row["failures"]), row["locked_until"]
        if locked_until is not None and locked_until > now:
            return False
        failures = 1 if locked_until is not None else failures + 1  # an expired lock starts over
        until = now + settings.lock_seconds if failures >= settings.threshold else None
        db.execute(
            "UPDATE accounts SET failures = ?, locked_until = ? WHERE id = ?",
            (failures, until, account_id),
        )
        return True

    return work


def succeeded(settings: Settings, account_id: int) -> Any:
    """After a correct password: the count starts over (or keeps its failures: a defect)."""
    if settings.on("success-keeps-failures"):
        # The shortcut: "the reserved attempt was a good one, so un-count it".
        sql = (
            "UPDATE accounts SET failures = MAX(failures - 1, 0),"
            " locked_until = CASE WHEN failures - 1 < ? THEN NULL ELSE locked_until END"
            " WHERE id = ?"
        )
        return lambda db: db.execute(sql, (settings.threshold, account_id))
    sql = "UPDATE accounts SET failures = 0, locked_until = NULL WHERE id = ?"
    return lambda db: db.execute(sql, (account_id,))


def racy_record_failure(settings: Settings, account_id: int, seen: int, now: float) -> Any:
    """The ``lockout-race`` write: the count read before verifying, plus one."""
    failures = seen + 1
    until = now + settings.lock_seconds if failures >= settings.threshold else None
    sql = "UPDATE accounts SET failures = ?, locked_until = ? WHERE id = ?"
    return lambda db: db.execute(sql, (failures, until, account_id))


def client_locked(settings: Settings, client: str, now: float) -> Any:
    """``client-wide-lockout``: whether this client address is locked."""

    def work(db: sqlite3.Connection) -> bool:
        row = db.execute(
            "SELECT locked_until FROM client_failures WHERE client = ?", (client,)
        ).fetchone()
        return row is not None and row["locked_until"] is not None and row["locked_until"] > now

    return work


def client_failed(settings: Settings, client: str, now: float) -> Any:
    """``client-wide-lockout``: count a failure against the client address."""

    def work(db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO client_failures (client, failures) VALUES (?, 1)"
            " ON CONFLICT(client) DO UPDATE SET failures = failures + 1",
            (client,),
        )
        db.execute(
            "UPDATE client_failures SET locked_until = ? WHERE client = ? AND failures >= ?",
            (now + settings.lock_seconds, client, settings.threshold),
        )

    return work
