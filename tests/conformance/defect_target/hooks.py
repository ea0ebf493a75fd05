"""The zoo target's grey-box hook: ``python hooks.py disable EMAIL`` (``hooks.disable_account``).

Standalone (standard library only): the suite runs it in this directory. It works on the
target's SQLite file, named by ``DEFECT_TARGET_DATABASE``, which the harness exports. Exit
codes: 0 done, 1 no such account, 2 bad arguments or no database.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import unicodedata
from pathlib import Path

EXIT_MISSING, EXIT_USAGE = 1, 2


def main(argv: list[str] | None = None) -> int:
    """Disable the account of an address."""
    parser = argparse.ArgumentParser(prog="hooks.py", description=__doc__)
    parser.add_argument("action", choices=["disable"])
    parser.add_argument("email")
    args = parser.parse_args(argv)
    database = os.environ.get("DEFECT_TARGET_DATABASE", "")
    if not database or not Path(database).is_file():
        sys.stderr.write(f"hooks.py: error: DEFECT_TARGET_DATABASE {database!r} is not a file\n")
        return EXIT_USAGE
    # The suite's addresses are lower-case ASCII: the stored form with or without the
    # case-sensitive-email defect.
    email = unicodedata.normalize("NFKC", args.email).strip().casefold()
    with sqlite3.connect(database, timeout=10) as connection:
        changed = connection.execute(
            "UPDATE accounts SET disabled = 1 WHERE email = ?", (email,)
        ).rowcount
    if changed != 1:
        sys.stderr.write(f"hooks.py: error: no account {email}\n")
        return EXIT_MISSING
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
