"""Engine configuration and transaction scopes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, text

from authsvc.store.db import Database, make_engine


def _database(tmp_path: Path) -> Database:
    return Database(make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"))


def test_sqlite_pragmas(tmp_path: Path) -> None:
    """WAL, a busy timeout and foreign keys on every pooled connection."""
    db = _database(tmp_path)
    with db.read() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    assert db.dialect == "sqlite"
    db.dispose()


def test_migration_engine_turns_foreign_keys_off(tmp_path: Path) -> None:
    """Table rebuilds during migrations must not cascade deletes."""
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}", sqlite_foreign_keys=False)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 0
    engine.dispose()


def test_writes_begin_immediate_reads_deferred(tmp_path: Path) -> None:
    """Write scopes take SQLite's write lock up front."""
    db = _database(tmp_path)
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with db.write() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    with db.read() as conn:
        conn.execute(text("SELECT * FROM t"))
    assert statements[0] == "BEGIN IMMEDIATE"
    assert "BEGIN" in statements
    db.dispose()


def test_write_scope_rolls_back_on_error(tmp_path: Path) -> None:
    """An exception inside a scope leaves nothing behind."""
    db = _database(tmp_path)
    with db.write() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))

    def insert_then_fail() -> None:
        with db.write() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            raise RuntimeError

    with pytest.raises(RuntimeError):
        insert_then_fail()
    with db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    db.dispose()


def test_concurrent_writers_queue_instead_of_failing(tmp_path: Path) -> None:
    """Two threads writing at once both succeed (busy timeout + BEGIN IMMEDIATE)."""
    db = _database(tmp_path)
    with db.write() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    errors: list[BaseException] = []

    def writer(value: int) -> None:
        try:
            for _ in range(20):
                with db.write() as conn:
                    count = conn.execute(text("SELECT count(*) FROM t")).scalar_one()
                    time.sleep(0.001)
                    conn.execute(text("INSERT INTO t VALUES (:v)"), {"v": value + count})
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 80
    db.dispose()


def test_ping(tmp_path: Path) -> None:
    """ping succeeds on a reachable database and raises otherwise."""
    _database(tmp_path).ping()
    with pytest.raises(Exception):  # noqa: B017, PT011 (the driver's error type)
        Database(make_engine("sqlite:////nonexistent/dir/x.db")).ping()


def test_in_memory_url_builds(tmp_path: Path) -> None:
    """An in-memory URL (used to build the OpenAPI document) creates an engine."""
    engine = make_engine("sqlite://")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


def test_postgres_url_builds_an_engine_without_connecting() -> None:
    """PostgreSQL through psycopg 3; nothing connects until used."""
    engine = make_engine("postgresql+psycopg://user:pw@127.0.0.1:1/db")
    assert engine.dialect.name == "postgresql"
    assert engine.dialect.driver == "psycopg"
    engine.dispose()
