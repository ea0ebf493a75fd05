"""Engine construction and transaction scopes.

SQLite is the embedded default, tuned for a web service: WAL (readers never wait for the
writer), a busy timeout (writers queue instead of failing), foreign keys on, and write
transactions opened with ``BEGIN IMMEDIATE`` so two transactions never both read and
then both try to upgrade to a write lock (which SQLite can only resolve by failing one
with ``database is locked``). PostgreSQL goes through psycopg 3 with a connection pool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

__all__ = ["Database", "make_engine"]

_WRITE_OPTION = "authsvc_write"
# How long a SQLite writer waits for the write lock before giving up.
_SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_on_connect(*, foreign_keys: bool) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module (it would not BEGIN
        # before a SELECT); _sqlite_on_begin emits BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
            # NORMAL is crash-safe in WAL mode (the last commits may be lost on power
            # failure, the database is never corrupted) and avoids an fsync per commit.
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    return on_connect


def _sqlite_on_begin(conn: Connection) -> None:
    if conn.get_execution_options().get(_WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str, *, sqlite_foreign_keys: bool = True) -> Engine:
    """Return an engine for ``url`` (SQLite file or PostgreSQL), configured for the service.

    Nothing connects until the first query. An in-memory SQLite URL works only in a single
    thread and is not supported for serving. ``sqlite_foreign_keys=False`` is for
    migrations only: SQLite rebuilds a table to alter it, and dropping the old copy with
    foreign keys on would cascade-delete every row that refers to it.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        # File databases get a real pool (several threads write through it); SQLAlchemy
        # gives in-memory ones a per-thread pool that takes no sizing.
        # LIFO: the connection used last is handed out next. SQLite drops a connection's
        # page cache whenever another connection has written since it last ran, so a
        # login going round a FIFO pool re-read its pages from the file every time.
        pool_args: dict[str, Any] = (
            {} if in_memory else {"pool_size": 10, "max_overflow": 30, "pool_use_lifo": True}
        )
        engine = create_engine(
            parsed,
            connect_args={"check_same_thread": False, "timeout": _SQLITE_BUSY_TIMEOUT_MS / 1000},
            **pool_args,
        )
        event.listen(engine, "connect", _sqlite_on_connect(foreign_keys=sqlite_foreign_keys))
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(
        parsed, pool_pre_ping=True, pool_size=10, max_overflow=20, pool_use_lifo=True
    )


class Database:
    """Transaction scopes over one engine. Every scope commits on success, rolls back on error."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        """The backend name: ``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent snapshot for several SELECTs)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A read-write transaction; on SQLite it takes the write lock up front."""
        with self.engine.connect() as conn:
            conn.execution_options(**{_WRITE_OPTION: True})
            with conn.begin():
                yield conn

    def ping(self) -> None:
        """Run ``SELECT 1``; raises if the database is unreachable."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()
