"""Alembic, driven from code: no ``alembic.ini`` at runtime.

The script location is the :mod:`authsvc.migrations` package directory, so migrations
work from a wheel install as well as a checkout.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import text

from authsvc.store.db import make_engine

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revision",
    "head_revision",
    "revision_ahead",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str | None = None) -> Config:
    """Return an Alembic config for the package's migrations (URL only for offline mode)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url is not None:
        # ConfigParser interpolation would read "%" in a password as a reference.
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """Return the newest revision id."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise RuntimeError("no migrations found")
    return head


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database at ``database_url`` up to ``revision`` (default: head).

    Raises ``alembic.util.CommandError`` for an unknown revision and ``RuntimeError``
    if a SQLite migration left dangling foreign keys.
    """
    engine = make_engine(database_url, sqlite_foreign_keys=False)
    try:
        with engine.connect() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
            if connection.dialect.name == "sqlite":
                # Foreign keys were off while tables were rebuilt; prove nothing broke.
                problems = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
                connection.commit()
                if problems:
                    raise RuntimeError(f"foreign key violations after migration: {len(problems)}")
    finally:
        engine.dispose()


def current_revision(database_url: str) -> str | None:
    """Return the revision the database is at, or ``None`` if it was never migrated."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def revision_ahead(database_url: str) -> str | None:
    """Return the database's revision if this code does not know it, else ``None``.

    An unknown revision means a newer version migrated the database: this version is
    being rolled back to. Upgrading would fail ("Can't locate revision"), so ``authsvc
    serve`` leaves the schema alone and serves on it; expand-then-contract migrations keep
    the previous version working on the newer schema (the replay gate's rollback check
    tests exactly that).
    """
    current = current_revision(database_url)
    if current is None:
        return None
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(current)
    except CommandError:
        return current
    return None
