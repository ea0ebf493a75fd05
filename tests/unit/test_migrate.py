"""Alembic migrations: two revisions, data kept, schema equal to the models, old users log in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import create_engine, inspect, text

from authsvc.app import create_app
from authsvc.clock import ManualClock
from authsvc.config import Settings
from authsvc.store.migrate import alembic_config, current_revision, head_revision, upgrade
from authsvc.store.models import metadata
from tests.integration._schema_history import (
    check_old_accounts,
    old_accounts,
    revisions,
    write_accounts,
)
from tests.unit._helpers import SIGNING_KEY, make_client


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'm.db'}"


def test_head_is_0002_after_0001() -> None:
    """There is an earlier head to upgrade from."""
    assert head_revision() == "0002"


def test_fresh_database_migrates_to_head(tmp_path: Path) -> None:
    """Never migrated: no revision; after upgrade: head."""
    url = _url(tmp_path)
    assert current_revision(url) is None
    upgrade(url)
    assert current_revision(url) == "0002"
    upgrade(url)  # idempotent
    assert current_revision(url) == "0002"


def test_head_schema_equals_the_models(tmp_path: Path) -> None:
    """The migrations and the table definitions describe the same schema."""
    url = _url(tmp_path)
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
    engine.dispose()
    assert diff == []


def test_upgrade_from_0001_keeps_data_and_backfills(tmp_path: Path) -> None:
    """Rows written by 0001 survive 0002 (no cascade from the table rebuild)."""
    url = _url(tmp_path)
    upgrade(url, "0001")
    engine = create_engine(url)
    with engine.begin() as conn:
        assert "login_throttle" not in inspect(conn).get_table_names()
        conn.execute(
            text("INSERT INTO users VALUES ('u1', 'a@example.com', 'h', 0, '2030-01-01 00:00:00')")
        )
        conn.execute(
            text(
                "INSERT INTO sessions VALUES ('s1', 'u1', '2030-01-01 00:00:00',"
                " '2030-02-01 00:00:00', NULL, NULL)"
            )
        )
        conn.execute(
            text("INSERT INTO refresh_tokens VALUES (1, 's1', 'hash', '2030-01-01 00:00:00', NULL)")
        )
    upgrade(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT email_display FROM users")).scalar() == "a@example.com"
        assert conn.execute(text("SELECT count(*) FROM sessions")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM refresh_tokens")).scalar() == 1
    engine.dispose()


def test_downgrade_to_0001(tmp_path: Path) -> None:
    """0002 can be reverted."""
    url = _url(tmp_path)
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    with engine.connect() as conn:
        assert "login_throttle" not in inspect(conn).get_table_names()
        assert "email_display" not in {c["name"] for c in inspect(conn).get_columns("users")}
    engine.dispose()


def test_unknown_revision(tmp_path: Path) -> None:
    """A revision that does not exist is an Alembic CommandError."""
    with pytest.raises(CommandError):
        upgrade(_url(tmp_path), "9999")


def test_offline_sql(capsys: pytest.CaptureFixture[str]) -> None:
    """--sql mode renders the DDL from the URL without connecting."""
    command.upgrade(alembic_config("postgresql+psycopg://u:p%40@h/db"), "head", sql=True)
    out = capsys.readouterr().out
    assert "CREATE TABLE users" in out
    assert "CREATE TABLE login_throttle" in out


def test_the_revision_list_comes_from_the_script_directory() -> None:
    """The upgrade tests below cover exactly the revisions Alembic knows, oldest first."""
    assert revisions()[0] == "0001"
    assert revisions()[-1] == head_revision()
    assert len(revisions()) == len(set(revisions()))


@pytest.mark.anyio
@pytest.mark.parametrize("revision", revisions())
async def test_accounts_written_at_a_schema_head_log_in_after_the_upgrade(
    tmp_path: Path, revision: str
) -> None:
    """Accounts stored with the SQL of ``revision`` log in through the app once upgraded.

    Legacy PBKDF2 and ``$2y$`` bcrypt hashes, a mixed-case and a non-ASCII address, a session
    with its refresh token, a disabled account (see ``tests/integration/_schema_history.py``);
    the live variant of this test runs ``authsvc serve`` on SQLite and PostgreSQL.
    """
    url = _url(tmp_path)
    upgrade(url, revision)
    now = datetime.now(UTC).replace(microsecond=0)
    accounts = old_accounts()
    write_accounts(url, revision, accounts, now=now)
    upgrade(url)  # what `authsvc serve` does before it serves
    settings = Settings(
        database_url=url,
        signing_keys=[SIGNING_KEY],
        argon2_memory_cost=256,
        argon2_time_cost=1,
        hash_workers=2,
    )
    app = create_app(settings, clock=ManualClock(now))
    async with app.router.lifespan_context(app), make_client(app) as http:
        await check_old_accounts(http, url, revision, accounts)


def test_a_revision_without_recorded_statements_says_what_to_add() -> None:
    """A new migration fails the upgrade tests with instructions, not with a KeyError."""
    with pytest.raises(AssertionError, match="no INSERT statements recorded for schema 9999"):
        write_accounts("sqlite://", "9999", [], now=datetime.now(UTC))
