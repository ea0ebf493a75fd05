"""Alembic environment for authsvc.

Run through :mod:`authsvc.store.migrate`, which passes an open connection in
``config.attributes["connection"]``; no ``alembic.ini`` is needed. Offline (``--sql``)
mode works from ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from authsvc.store.models import metadata

config = context.config


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Emit SQL for the configured URL instead of running it."""
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate through the connection the caller opened."""
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through authsvc.store.migrate (or `authsvc migrate`)")
    _configure_and_run(connection)


if context.is_offline_mode():
    run_offline()
else:
    run_online()
