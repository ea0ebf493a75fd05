"""``python -m tests.conformance.defect_target --port P [--defect NAME[,NAME]]``: serve the zoo.

Serves on 127.0.0.1 only. Exit codes: 0 stopped normally, 2 bad arguments (an unknown defect,
no JWT key). The HMAC key of the access tokens comes from ``DEFECT_TARGET_JWT_KEY`` (so the
suite's ``hooks.jwt_key`` can forge tokens), the clock offset file from
``DEFECT_TARGET_CLOCK_FILE`` (optional: the suite's clock hook).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from argon2 import PasswordHasher

from tests.conformance.defect_target.defects import DEFECTS, parse
from tests.conformance.defect_target.store import Clock, Store
from tests.conformance.defect_target.web import Settings

EXIT_USAGE = 2
#: Cheap argon2id (~10 ms a hash): fast tests, yet slow enough to time and to race against.
TIME_COST, MEMORY_KIB = 1, 8192


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.conformance.defect_target",
        description="a small login service with switchable defects, for the conformance zoo",
        epilog="defects: " + "; ".join(f"{name}: {text}" for name, text in DEFECTS.items()),
    )
    parser.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1")
    parser.add_argument("--database", type=Path, required=True, help="SQLite file (created)")
    parser.add_argument("--defect", default="", metavar="NAME[,NAME]", help="switches to turn on")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted; 2 for bad arguments."""
    parser = _arguments()
    args = parser.parse_args(argv)
    try:
        defects = parse(args.defect)
    except ValueError as exc:
        parser.print_usage(sys.stderr)
        sys.stderr.write(f"{parser.prog}: error: --defect: {exc}\n")
        return EXIT_USAGE
    key = os.environ.get("DEFECT_TARGET_JWT_KEY", "")
    if len(key) < 32:
        sys.stderr.write(f"{parser.prog}: error: set DEFECT_TARGET_JWT_KEY (32+ characters)\n")
        return EXIT_USAGE
    clock_file = os.environ.get("DEFECT_TARGET_CLOCK_FILE")
    import uvicorn  # noqa: PLC0415 - only serving needs it

    from tests.conformance.defect_target.app import create_app  # noqa: PLC0415

    settings = Settings(
        defects=defects,
        jwt_key=key,
        clock=Clock(Path(clock_file) if clock_file else None),
        store=Store(args.database),
        hasher=PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=1),
    )
    uvicorn.run(
        create_app(settings),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        server_header=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
