"""Grey-box test hooks for authsvc that its CLI does not offer: read a stored hash, disable,
census.

Seeding uses ``authsvc import-users``; these work on the database named by
``AUTHSVC_DATABASE_URL`` (the service's own setting, required here), through authsvc's table
definitions and its canonical form of an address. Usage::

    python authsvc_hooks.py stored-hash EMAIL   # prints the stored PHC string
    python authsvc_hooks.py disable EMAIL       # marks the account disabled
    python authsvc_hooks.py census              # one JSON line per account (docs/census.md)
"""

from __future__ import annotations

import os
import sys

from census_authsvc import census
from sqlalchemy import create_engine, select, update

from authsvc.security.identifiers import canonical_email
from authsvc.store.models import users


def main(argv: list[str]) -> None:
    """Dispatch ``stored-hash``, ``disable`` or ``census``."""
    census_call = argv == ["census"]
    if not census_call and (len(argv) != 2 or argv[0] not in ("stored-hash", "disable")):
        raise SystemExit(__doc__)
    command, email = argv if not census_call else (argv[0], "")
    url = os.environ.get("AUTHSVC_DATABASE_URL")
    if not url:
        # authsvc's own default is relative to the working directory, and hooks run in
        # profiles/: it would name (and SQLite would create) a database the service never saw.
        raise SystemExit(
            "authsvc_hooks.py: set AUTHSVC_DATABASE_URL to the running service's database "
            "(nox -s conformance does)"
        )
    engine = create_engine(url)
    if census_call:
        try:
            census(engine, sys.stdout)
        finally:
            engine.dispose()
        return
    key = canonical_email(email)
    try:
        with engine.begin() as conn:
            if command == "stored-hash":
                query = select(users.c.password_hash).where(users.c.email_canonical == key)
                stored = conn.scalar(query)
                if stored is None:
                    raise SystemExit(f"authsvc_hooks.py: no account {email}")
                sys.stdout.write(stored + "\n")
            else:
                result = conn.execute(
                    update(users).where(users.c.email_canonical == key).values(disabled=True)
                )
                if result.rowcount != 1:
                    raise SystemExit(f"authsvc_hooks.py: no account {email}")
    finally:
        engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
