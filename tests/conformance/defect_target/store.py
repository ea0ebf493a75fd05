"""The zoo target's state: one SQLite file, reached from worker threads, and its clock.

Every database call is awaited (``Store.run`` hops to a thread), as with any async driver, so
a handler that reads in one call and writes in the next leaves a window where other requests
run. The clean handlers do each read-check-write in a single call; the racy defects split it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until REAL,
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    created REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS client_failures (
    client TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until REAL
);
"""


class Store:
    """A SQLite connection shared by worker threads; one call at a time holds it."""

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._connection.row_factory = sqlite3.Row
        self._connection.execute("PRAGMA journal_mode=WAL")
        # A test service: no fsync, so a write costs what a read does and never shows in timing.
        self._connection.execute("PRAGMA synchronous=OFF")
        self._connection.executescript(SCHEMA)
        self._lock = threading.Lock()

    def _locked(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(self._connection)
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")
            return result

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` in one transaction on a worker thread."""
        return await asyncio.to_thread(self._locked, work)


class Clock:
    """Wall-clock time plus the seconds in the offset file (the suite's clock hook)."""

    def __init__(self, offset_file: Path | None) -> None:
        self.offset_file = offset_file

    def now(self) -> float:
        """The service's notion of now."""
        if self.offset_file is None:
            return time.time()
        try:
            text = self.offset_file.read_text(encoding="utf-8").strip()
        except OSError:
            text = ""
        return time.time() + (float(text) if text else 0.0)
