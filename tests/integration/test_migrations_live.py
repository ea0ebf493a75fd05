"""Deploying a new version onto an old database: the migration runs, and old users log in.

The shared services (``conftest.py``) start on empty databases, so they show the upgrade from
nothing. For every revision in Alembic's script directory (a new migration is covered without
editing this file), on SQLite and PostgreSQL: ``authsvc migrate --revision <r>`` makes the
schema of that head, the accounts are written with the SQL that head's authsvc ran
(``_schema_history.py``), then ``authsvc serve`` starts on the database (it upgrades to head
first, as a deploy does) and every account is used through the HTTP API.
"""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime

import httpx
import pytest

from tests.integration._client import AuthClient, new_password, unique_email
from tests.integration._schema_history import (
    check_old_accounts,
    old_accounts,
    read_column,
    revisions,
    write_accounts,
)
from tests.integration._servers import (
    Database,
    LiveServer,
    MakeDatabase,
    StartLiveServer,
    authsvc_command,
    service_env,
)

KINDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


def migrate(database: Database, revision: str) -> None:
    """``authsvc migrate --revision <revision>``, the operator's command."""
    done = subprocess.run(  # noqa: S603 - our own command line
        [*authsvc_command(), "migrate", "--revision", revision],
        env=service_env(database.url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"database at revision {revision}" in done.stdout


def test_an_empty_database_is_migrated_to_head_when_served(
    service: LiveServer, client: AuthClient
) -> None:
    """Every shared service started on a database with no tables: it is at head, and serves."""
    head = revisions()[-1]
    assert read_column(service.database.url, "SELECT version_num FROM alembic_version") == [head]
    email, password = unique_email("fresh"), new_password()
    assert client.register(email, password).status_code == 201
    client.login_tokens(email, password)


@pytest.mark.parametrize("revision", revisions())
@pytest.mark.parametrize("kind", KINDS)
def test_accounts_written_at_a_schema_head_log_in_after_the_upgrade(
    kind: str, revision: str, make_database: MakeDatabase, start_live_server: StartLiveServer
) -> None:
    """Accounts written at ``revision`` (legacy hashes, a mixed-case and a non-ASCII address,
    a live session, a disabled account) still log in, keep their session and stay unique
    after ``authsvc serve`` upgraded the database; at head this checks the recorded SQL."""
    database = make_database(kind)
    migrate(database, revision)
    accounts = old_accounts()
    write_accounts(database.url, revision, accounts, now=datetime.now(UTC))
    server = start_live_server(database)

    async def check() -> None:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=20.0) as http:
            await check_old_accounts(http, database.url, revision, accounts)

    asyncio.run(check())
