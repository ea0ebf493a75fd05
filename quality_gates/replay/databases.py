"""The databases of one replay: the seeded one, and a copy of it per version.

SQLite: files in the run's working directory, copied with their write-ahead log while no
process has them open. PostgreSQL: databases on a server the caller names (a role that may
``CREATE DATABASE``), each copy made with ``CREATE DATABASE … TEMPLATE``, all dropped at the
end. ``url`` is what the target gets as ``{database_url}``: an SQLAlchemy-style URL.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import quote

from quality_gates.errors import InputError

DatabaseKind = Literal["sqlite", "postgresql"]
DATABASE_KINDS: tuple[DatabaseKind, ...] = ("sqlite", "postgresql")


class Databases(Protocol):
    """Named databases for one run."""

    def url(self, name: str) -> str:
        """The ``{database_url}`` of database ``name``."""

    def create(self, name: str) -> None:
        """Make an empty database ``name`` (the target's migrations fill it)."""

    def copy(self, source: str, target: str) -> None:
        """Make ``target`` an exact copy of ``source`` (no process may have it open)."""

    def close(self) -> None:
        """Remove everything this run made."""


class SqliteDatabases:
    """SQLite files under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        """The file of database ``name``."""
        return (self.directory / f"{name}.db").resolve()

    def url(self, name: str) -> str:
        """``sqlite:////abs/path/name.db``."""
        return f"sqlite:///{self.path(name)}"

    def create(self, name: str) -> None:
        """Nothing to do: SQLite creates the file on first use."""
        self.path(name).unlink(missing_ok=True)

    def copy(self, source: str, target: str) -> None:
        """Copy the file and its write-ahead log (the shared-memory index is rebuilt)."""
        src, dst = self.path(source), self.path(target)
        for suffix in ("", "-wal"):
            Path(f"{dst}{suffix}").unlink(missing_ok=True)
            if Path(f"{src}{suffix}").exists():
                shutil.copyfile(f"{src}{suffix}", f"{dst}{suffix}")
        Path(f"{dst}-shm").unlink(missing_ok=True)

    def close(self) -> None:
        """The files go with the run's working directory."""


class PostgresDatabases:
    """Databases named ``qg_replay_<run>_<name>`` on the server at ``admin_dsn``."""

    def __init__(self, admin_dsn: str) -> None:
        try:
            import psycopg  # noqa: PLC0415 - only PostgreSQL runs need the driver
            from psycopg.conninfo import conninfo_to_dict  # noqa: PLC0415
        except ImportError:
            raise InputError(
                "database = 'postgresql' needs psycopg: install auth-quality-gates[postgres]"
            ) from None
        self._psycopg = psycopg
        try:
            self._params = conninfo_to_dict(admin_dsn)
        except psycopg.ProgrammingError as exc:
            raise InputError(f"postgres_dsn: not a PostgreSQL connection string: {exc}") from None
        self._admin_dsn = admin_dsn
        self._prefix = f"qg_replay_{uuid.uuid4().hex[:10]}"
        self._made: list[str] = []

    def _name(self, name: str) -> str:
        return f"{self._prefix}_{name.replace('-', '_')}"

    def _execute(self, template: str, *names: str) -> None:
        psycopg = self._psycopg
        from psycopg import sql  # noqa: PLC0415 - only PostgreSQL runs need the driver

        statement = sql.SQL(template).format(*(sql.Identifier(name) for name in names))
        try:
            with psycopg.connect(self._admin_dsn, autocommit=True, connect_timeout=10) as conn:
                conn.execute(statement)
        except psycopg.OperationalError as exc:
            raise InputError(f"PostgreSQL at postgres_dsn: {str(exc).strip()}") from None

    def url(self, name: str) -> str:
        """``postgresql+psycopg://user:password@host:port/<database>``."""
        params = self._params
        user = quote(str(params.get("user", "postgres")), safe="")
        password = params.get("password")
        auth = f"{user}:{quote(str(password), safe='')}@" if password else f"{user}@"
        host = str(params.get("host", "127.0.0.1"))
        port = str(params.get("port", "5432"))
        if host.startswith("/"):  # a unix socket directory goes in the query string
            return f"postgresql+psycopg://{auth}/{self._name(name)}?host={quote(host)}&port={port}"
        return f"postgresql+psycopg://{auth}{host}:{port}/{self._name(name)}"

    def create(self, name: str) -> None:
        """``CREATE DATABASE``."""
        self._execute("CREATE DATABASE {}", self._name(name))
        self._made.append(self._name(name))

    def copy(self, source: str, target: str) -> None:
        """``CREATE DATABASE target TEMPLATE source``."""
        self._execute("CREATE DATABASE {} TEMPLATE {}", self._name(target), self._name(source))
        self._made.append(self._name(target))

    def close(self) -> None:
        """Drop every database this run made, even with a straggling connection."""
        for name in reversed(self._made):
            try:
                self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
            except InputError:
                continue
        self._made.clear()


def open_databases(kind: DatabaseKind, directory: Path, postgres_dsn: str) -> Databases:
    """The databases of one run, of ``kind``."""
    if kind == "postgresql":
        if not postgres_dsn:
            raise InputError("database = 'postgresql' needs postgres_dsn (a server to use)")
        return PostgresDatabases(postgres_dsn)
    return SqliteDatabases(directory)
