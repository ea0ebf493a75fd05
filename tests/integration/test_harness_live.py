"""The integration harness itself: the throw-away PostgreSQL server and live servers."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psycopg
import pytest

from tests.integration._client import pin_to_workers
from tests.integration._postgres import PostgresServer
from tests.integration._procfs import is_running
from tests.integration._servers import (
    MakeDatabase,
    ServerStartError,
    StartLiveServer,
    start_server,
)

# uvicorn closes a keep-alive connection idle for 5 s (authsvc does not change the default).
IDLE_PAST_KEEP_ALIVE = 7.0


@pytest.mark.postgres
def test_postgres_databases_are_isolated(postgres_server: PostgresServer) -> None:
    """A table made in one test database is absent from the next one."""
    first = postgres_server.new_database()
    second = postgres_server.new_database()
    try:
        with psycopg.connect(first.dsn) as conn:
            conn.execute("CREATE TABLE marker (id integer)")
        with psycopg.connect(second.dsn) as conn:
            found = conn.execute("SELECT to_regclass('public.marker')").fetchone()
        assert found == (None,)
        assert second.url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    finally:
        for database in (first, second):
            postgres_server.drop_database(database.name)


@pytest.mark.postgres
def test_postgres_listens_on_loopback_only(postgres_server: PostgresServer) -> None:
    """The cluster listens on 127.0.0.1 and keeps its socket in the temporary directory."""
    with psycopg.connect(postgres_server.dsn()) as conn:
        settings: dict[str, str] = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('listen_addresses', 'unix_socket_directories', 'data_directory')"
            ).fetchall()
        )
    assert settings["listen_addresses"] == "127.0.0.1"
    assert settings["unix_socket_directories"] == str(postgres_server.socket_dir)
    assert settings["data_directory"].startswith(str(postgres_server.directory))


@pytest.mark.postgres
def test_postgres_server_lifecycle(postgres_binaries: PostgresServer) -> None:
    """A second cluster starts, serves, stops and leaves no directory behind."""
    second = PostgresServer(bindir=postgres_binaries.bindir)
    with second:
        root = second.directory
        with psycopg.connect(second.dsn()) as conn:
            assert conn.execute("SELECT current_user").fetchone() == ("postgres",)
        if os.geteuid() == 0:
            # PostgreSQL refuses root, so the cluster must belong to the postgres user.
            assert (second.datadir / "PG_VERSION").stat().st_uid != 0
    assert not root.exists()


def test_live_server_stops_with_all_its_workers(
    make_database: MakeDatabase, start_live_server: StartLiveServer
) -> None:
    """Every worker answered before the fixture returned, and stop() leaves none behind."""
    server = start_live_server(make_database("sqlite"), workers=2)
    assert len(server.worker_pids) == 2
    assert set(server.worker_pids) <= set(server.processes())
    family = server.processes()
    assert server.stop() == 0
    # Orphans (multiprocessing's resource tracker) end on their own; give them a moment.
    deadline = time.monotonic() + 10
    while any(map(is_running, family)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in family if is_running(pid)] == []


def test_a_server_that_cannot_start_reports_its_output(
    make_database: MakeDatabase, tmp_path: Path
) -> None:
    """Start-up failure surfaces the service's own message, not just a timeout."""
    with pytest.raises(ServerStartError, match="AUTHSVC_SIGNING_KEYS"):
        start_server(tmp_path / "bad", make_database("sqlite"), env={"AUTHSVC_SIGNING_KEYS": "[]"})


def test_a_pinned_client_outlives_the_server_closing_its_idle_connection(
    make_database: MakeDatabase, start_live_server: StartLiveServer
) -> None:
    """Left idle past uvicorn's keep-alive timeout, each pinned client reconnects to its worker.

    The server closes the idle connections; the next request must still be served by the
    worker the client is pinned to (checked through ``/proc``), over a new connection.
    """
    server = start_live_server(make_database("sqlite"), workers=2)
    pinned = pin_to_workers(server)
    try:
        time.sleep(IDLE_PAST_KEEP_ALIVE)
        for worker, client in pinned.items():
            response = client.request("GET", "/readyz")
            assert response.status_code == 200
            assert server.worker_of(response) == worker
            assert client.reconnects >= 1, "the server kept the idle connection: nothing tested"
    finally:
        for client in pinned.values():
            client.close()
