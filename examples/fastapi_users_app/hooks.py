"""Grey-box test hooks for the fastapi-users example, for the conformance suite.

fastapi-users has no command to import accounts or to read a stored hash, so these work on its
SQLite database directly (the ``user`` table of fastapi-users-db-sqlalchemy), found through
``FASTAPI_USERS_DATABASE_URL``, the variable the app reads. Usage::

    python hooks.py seed FILE.jsonl      # {"email", "password_hash", "disabled"} per line
    python hooks.py stored-hash EMAIL    # prints the stored hash
    python hooks.py disable EMAIL        # sets is_active = false

The tables are created by the app at start-up, so the app must have started once.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
import uuid
from pathlib import Path


def _database() -> sqlite3.Connection:
    url = os.environ.get("FASTAPI_USERS_DATABASE_URL", "sqlite+aiosqlite:///./fastapi-users.db")
    prefix = "sqlite+aiosqlite:///"
    if not url.startswith(prefix):
        raise SystemExit(f"hooks.py: only SQLite is supported, got {url.split(':')[0]}")
    return sqlite3.connect(url.removeprefix(prefix), timeout=10)


def seed(file: Path) -> None:
    """Insert the accounts of a JSONL file, with their stored hashes as given."""
    rows = [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line]
    with contextlib.closing(_database()) as db, db:
        db.executemany(
            'INSERT INTO "user" (id, email, hashed_password, is_active, is_superuser, is_verified)'
            " VALUES (?, ?, ?, ?, 0, 0)",
            [
                (str(uuid.uuid4()), row["email"], row["password_hash"], not row.get("disabled"))
                for row in rows
            ],
        )


def stored_hash(email: str) -> None:
    """Print the stored hash of ``email`` (matched case-insensitively, as fastapi-users does)."""
    with contextlib.closing(_database()) as db:
        row = db.execute(
            'SELECT hashed_password FROM "user" WHERE lower(email) = lower(?)', (email,)
        ).fetchone()
    if row is None:
        raise SystemExit(f"hooks.py: no account {email}")
    sys.stdout.write(row[0] + "\n")


def disable(email: str) -> None:
    """Set ``is_active`` to false: fastapi-users refuses logins and tokens of the account."""
    with contextlib.closing(_database()) as db, db:
        changed = db.execute(
            'UPDATE "user" SET is_active = 0 WHERE lower(email) = lower(?)', (email,)
        ).rowcount
    if changed != 1:
        raise SystemExit(f"hooks.py: no account {email}")


def main(argv: list[str]) -> None:
    """Dispatch ``seed``, ``stored-hash`` or ``disable``."""
    match argv:
        case ["seed", file]:
            seed(Path(file))
        case ["stored-hash", email]:
            stored_hash(email)
        case ["disable", email]:
            disable(email)
        case _:
            raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
