"""What running next to argon2id does to the rest of a login's work: warm against cold CPU.

argon2id at the default parameters fills 19 MiB per verification, more than the 2 MiB of L2
a core has here; two of them (one per core) are more than the 32 MiB of shared L3. So every
stretch of Python that runs between two verifications finds its code and data evicted. This
script measures that in one thread, with no server, scheduler or thread hand-off involved:

- **warm**: one unit of work right after the same unit of work;
- **after argon2**: the same unit right after one argon2id verification at the parameters
  the service uses by default.

Units: the repository's two login transactions on a migrated SQLite file (the state read
and the session write of a successful login), and one ``GET /healthz`` through the service's
full ASGI stack (middleware, routing, metrics, the JSON log line), called in-process.

    .venv/bin/python bench/cache_penalty.py --rounds 300

Prints median CPU per unit (``time.thread_time``) in both conditions and their quotient;
docs/benchmarks.md uses the figures to bound the login throughput ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argon2 import PasswordHasher
from starlette.types import Message

from authsvc.app import create_app
from authsvc.config import Settings
from authsvc.domain.credentials import LoginWrites, UserRecord
from authsvc.domain.records import SessionRecord
from authsvc.logs import configure_logging
from authsvc.store.db import Database, make_engine
from authsvc.store.migrate import upgrade
from authsvc.store.repository import Repository

# The service's defaults (authsvc.config.Settings): m=19456 KiB, t=2, p=1.
DEFAULTS = Settings.model_fields
ARGON2 = {
    "memory_cost": DEFAULTS["argon2_memory_cost"].default,
    "time_cost": DEFAULTS["argon2_time_cost"].default,
    "parallelism": DEFAULTS["argon2_parallelism"].default,
}
PASSWORD = "correct horse battery staple"
USERS = 40


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="cache_penalty",
        description="CPU of a login's non-hash work, warm and right after argon2id.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--rounds", type=int, default=300, help="measurements per condition")
    args = parser.parse_args(argv)
    if not 10 <= args.rounds <= 10_000:
        parser.error("--rounds must be in [10, 10000]")
    return args


def login_transactions(workdir: Path) -> Callable[[int], None]:
    """The state read and session write of a successful login, on a fresh SQLite file."""
    url = f"sqlite:///{workdir / 'cache-penalty.sqlite'}"
    upgrade(url)
    repo = Repository(Database(make_engine(url)))
    now = datetime.now(UTC)
    # Never verified here: any well-formed hash will do, so a cheap one.
    stored = PasswordHasher(memory_cost=8, time_cost=1, parallelism=1).hash(PASSWORD)
    users = []
    for index in range(USERS):
        email = f"user{index}@example.test"
        user = UserRecord(
            id=str(uuid.uuid4()),
            email_canonical=email,
            email_display=email,
            password_hash=stored,
            disabled=False,
            created_at=now,
        )
        repo.create_user(user)
        users.append(user)

    def unit(index: int) -> None:
        user = users[index % USERS]
        repo.login_state(user.email_canonical, now)
        session = SessionRecord(
            id=str(uuid.uuid4()),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(days=30),
            revoked_at=None,
        )
        repo.record_login(
            LoginWrites(session, uuid.uuid4().hex * 2, upgrade=None, reset_streak=None)
        )

    return unit


def healthz_request(workdir: Path) -> Callable[[int], None]:
    """One ``GET /healthz`` through the whole ASGI application, in-process."""
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'cache-penalty-app.sqlite'}",
        signing_keys=[{"kid": "bench", "secret": "cache-penalty-bench-signing-secret-0123456789"}],
    )
    app = create_app(settings)
    loop = asyncio.new_event_loop()
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/healthz",
        "raw_path": b"/healthz",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "app": app,
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"GET /healthz answered {message['status']}")

    def unit(_index: int) -> None:
        loop.run_until_complete(app(dict(scope), receive, send))

    return unit


def measure(unit: Callable[[int], None], rounds: int) -> tuple[float, float, float]:
    """Median CPU seconds of ``unit`` warm and after one verification, and of a verification.

    The two conditions alternate, so a change in the machine's speed affects both alike.
    """
    hasher = PasswordHasher(**ARGON2)
    stored = hasher.hash(PASSWORD)
    warm: list[float] = []
    cold: list[float] = []
    verify: list[float] = []
    for index in range(20):  # warm-up: caches, the SQLite file, lazily built objects
        unit(index)
    for index in range(rounds):
        unit(2 * index)
        started = time.thread_time()
        unit(2 * index + 1)
        warm.append(time.thread_time() - started)
        started = time.thread_time()
        hasher.verify(stored, PASSWORD)
        verified = time.thread_time()
        unit(2 * index)
        cold.append(time.thread_time() - verified)
        verify.append(verified - started)
    return statistics.median(warm), statistics.median(cold), statistics.median(verify)


def main(argv: Sequence[str] | None = None) -> int:
    """Run both units and print the figures."""
    args = parse_args(argv)
    # The service logs one JSON line per request; write them where nobody reads them.
    with contextlib.redirect_stderr(io.StringIO()):
        configure_logging("INFO")
    params = ", ".join(f"{name}={value}" for name, value in ARGON2.items())
    print(f"argon2id {params}; {args.rounds} rounds per condition; median CPU per unit")
    with tempfile.TemporaryDirectory(prefix="cache-penalty-") as tmp:
        workdir = Path(tmp)
        for name, build in (
            ("login transactions (SQLite read + write)", login_transactions),
            ("GET /healthz through the ASGI app", healthz_request),
        ):
            warm, cold, verify = measure(build(workdir), args.rounds)
            print(
                f"{name}: warm {warm * 1e6:.0f} us, after argon2 {cold * 1e6:.0f} us "
                f"(x{cold / warm:.2f}); argon2id verify {verify * 1e3:.2f} ms"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
