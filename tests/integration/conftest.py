"""Fixtures for integration tests: a PostgreSQL server and live ``authsvc serve`` processes.

- ``postgres_server`` (session): a throw-away cluster; skipped when the binaries are missing,
  unless ``QG_REQUIRE_POSTGRES=1`` (CI), which turns that into a failure.
- ``service`` (session, parametrised): one running service per database kind and worker
  count, on its own database, shared by the tests (each test uses its own accounts).
- ``client``, ``per_worker``, ``clock``: a client of that service, one connection pinned to
  each of its workers, and its movable clock (reset after the test).
- ``make_database`` / ``start_live_server``: a fresh database and a dedicated server, for
  tests that need their own settings.

The harness itself lives in ``_servers.py``, ``_postgres.py`` and ``_client.py`` so that the
benchmark in ``bench/`` can reuse it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration._client import AuthClient, WorkerClient, pin_to_workers
from tests.integration._postgres import PostgresServer, PostgresUnavailableError
from tests.integration._servers import (
    Database,
    LiveServer,
    MakeDatabase,
    StartLiveServer,
    start_server,
)

# The servers a test used, so a failure report can show their logs.
SERVERS_KEY = pytest.StashKey[list[LiveServer]]()

LOCKOUT_THRESHOLD = 5
# Settings of the shared service. All test traffic comes from 127.0.0.1, so the per-client
# limiter (tested on its own) is off; the lockout threshold is pinned rather than assumed.
SERVICE_ENV = {
    "AUTHSVC_CLIENT_RATE_LIMIT": "0",
    "AUTHSVC_LOCKOUT_THRESHOLD": str(LOCKOUT_THRESHOLD),
    "AUTHSVC_LOCKOUT_WINDOW_SECONDS": "900",
}

SERVICE_PARAMS = [
    pytest.param(("sqlite", 1), id="sqlite-1w"),
    pytest.param(("sqlite", 2), id="sqlite-2w"),
    pytest.param(("postgres", 1), id="postgres-1w", marks=pytest.mark.postgres),
    pytest.param(("postgres", 2), id="postgres-2w", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session")
def postgres_binaries() -> PostgresServer:
    """A PostgreSQL cluster that is not started yet: skips (or, in CI, fails) without one.

    ``QG_REQUIRE_POSTGRES=1`` turns the skip into a failure, so a CI image that lost
    its ``postgresql`` package cannot quietly stop testing PostgreSQL.
    """
    try:
        return PostgresServer.discover()
    except PostgresUnavailableError as exc:
        if os.environ.get("QG_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"QG_REQUIRE_POSTGRES=1 but PostgreSQL is unavailable: {exc}")
        pytest.skip(f"PostgreSQL is unavailable: {exc}")


@pytest.fixture(scope="session")
def postgres_server(postgres_binaries: PostgresServer) -> Iterator[PostgresServer]:
    """A PostgreSQL cluster for the whole run, started on first use."""
    with postgres_binaries as server:
        yield server


def _new_database(kind: str, directory: Path, request: pytest.FixtureRequest) -> Database:
    """A fresh, empty database of ``kind``; Postgres ones are dropped at teardown of ``request``."""
    if kind == "sqlite":
        return Database.sqlite(directory / "authsvc.db")
    if kind != "postgres":
        raise ValueError(f"unknown database kind {kind!r}")
    postgres: PostgresServer = request.getfixturevalue("postgres_server")
    database = postgres.new_database()
    request.addfinalizer(lambda: postgres.drop_database(database.name))
    return database


@pytest.fixture
def make_database(tmp_path: Path, request: pytest.FixtureRequest) -> MakeDatabase:
    """Create a fresh database of the given kind (``"sqlite"`` or ``"postgres"``) for this test."""
    counter = iter(range(1_000_000))

    def make(kind: str) -> Database:
        directory = tmp_path / f"db-{next(counter)}"
        directory.mkdir()
        return _new_database(kind, directory, request)

    return make


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the end of each server's log to the report of a failed test."""
    report = yield
    if report.failed:
        started: list[LiveServer] = item.stash.get(SERVERS_KEY, [])
        servers = list(started)
        shared = getattr(item, "funcargs", {}).get("service")
        if isinstance(shared, LiveServer):
            servers.append(shared)
        for server in servers:
            report.sections.append((f"authsvc serve log (port {server.port})", server.log_tail()))
    return report


@pytest.fixture
def start_live_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[StartLiveServer]:
    """Start dedicated ``authsvc serve`` processes; all are stopped at teardown.

    Takes the database and the keyword arguments of :func:`start_server` (``workers``,
    ``env``, ``fast_hashing``).
    """
    servers: list[LiveServer] = []
    request.node.stash[SERVERS_KEY] = servers

    def start(database: Database, **kwargs: Any) -> LiveServer:
        server = start_server(tmp_path / f"server-{len(servers)}", database, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session", params=SERVICE_PARAMS)
def service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A running service per (database kind, workers) on its own database.

    Session-scoped, so pytest runs every test of one kind before starting the next server;
    tests share it by each using their own accounts.
    """
    kind, workers = request.param
    directory = tmp_path_factory.mktemp(f"service-{kind}-{workers}w")
    database = _new_database(kind, directory, request)
    server = start_server(directory, database, workers=workers, env=SERVICE_ENV)
    yield server
    server.stop()


@pytest.fixture
def lockout_threshold() -> int:
    """Consecutive failures that lock an account on the shared service."""
    return LOCKOUT_THRESHOLD


@pytest.fixture
def client(service: LiveServer) -> Iterator[AuthClient]:
    """A client of the shared service."""
    with AuthClient(service.base_url) as auth_client:
        yield auth_client


@pytest.fixture
def per_worker(service: LiveServer) -> Iterator[dict[int, WorkerClient]]:
    """One pinned client per worker of the shared service, keyed by worker pid."""
    pinned = pin_to_workers(service)
    yield pinned
    for pinned_client in pinned.values():
        pinned_client.close()


@pytest.fixture
def clock(service: LiveServer) -> Iterator[Callable[[float], None]]:
    """Move the shared service's clock; it is put back to 0 after the test."""
    yield service.set_clock_offset
    service.set_clock_offset(0)
