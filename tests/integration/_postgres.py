"""A throw-away PostgreSQL server for integration tests and benchmarks.

The server runs from Debian's ``postgresql`` binaries in a temporary data directory, listens
on 127.0.0.1 only (its unix socket stays inside that directory) and trusts every local
connection. PostgreSQL refuses to run as root, so as root the directory is handed to the
``postgres`` user and every server binary runs through ``runuser``.

Used by ``tests/integration/conftest.py`` and ``bench/login_bench.py``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql

from tests.integration._procfs import descendants, process_cpu_seconds
from tests.integration._servers import Database, free_port

SUPERUSER = "postgres"
# fsync and friends are off: the data directory is deleted at the end anyway, and durability
# costs seconds per test on slow disks.
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "200",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "log_min_messages": "warning",
}
COMMAND_TIMEOUT = 60.0


class PostgresUnavailableError(RuntimeError):
    """The PostgreSQL server binaries (or a user allowed to run them) are missing."""


def find_bindir() -> Path:
    """Return the directory holding ``initdb``, ``pg_ctl`` and ``postgres``.

    ``pg_config --bindir`` first (it names the installed server's version); Debian's
    ``pg_config`` may come from ``libpq-dev`` without a server, so its answer is checked, and
    the newest ``/usr/lib/postgresql/*/bin`` is the fallback.
    """
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(  # noqa: S603 - the pg_config found on PATH
                [pg_config, "--bindir"],
                capture_output=True,
                text=True,
                check=True,
                timeout=COMMAND_TIMEOUT,
            ).stdout.strip()
            candidates.append(Path(out))

    def version(path: Path) -> tuple[int, ...]:
        match = re.fullmatch(r"[\d.]+", path.parent.name)
        return tuple(int(p) for p in match.group(0).split(".")) if match else ()

    # Newest version first.
    globbed = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for bindir in dict.fromkeys([*candidates, *globbed]):
        if all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    raise PostgresUnavailableError(
        "PostgreSQL server binaries not found (no initdb/pg_ctl from `pg_config --bindir` or "
        "/usr/lib/postgresql/*/bin); install Debian's `postgresql` package"
    )


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in a temporary directory; use as a context manager."""

    bindir: Path
    port: int = 0
    root: Path | None = field(init=False, default=None)
    _run_as: list[str] = field(init=False, default_factory=list)

    @classmethod
    def discover(cls) -> PostgresServer:
        """A server from the installed binaries, or :class:`PostgresUnavailableError`."""
        bindir = find_bindir()
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(SUPERUSER)
            except KeyError:
                raise PostgresUnavailableError(
                    "running as root and there is no `postgres` user to run the server as"
                ) from None
            if shutil.which("runuser") is None:
                raise PostgresUnavailableError("running as root and `runuser` is missing")
        return cls(bindir=bindir)

    @property
    def directory(self) -> Path:
        """The temporary directory of a started cluster."""
        if self.root is None:
            raise RuntimeError("the PostgreSQL server is not started")
        return self.root

    @property
    def datadir(self) -> Path:
        """The cluster's data directory."""
        return self.directory / "data"

    @property
    def socket_dir(self) -> Path:
        """Where the unix socket lives, so it never collides with a system server's."""
        return self.directory / "socket"

    @property
    def logfile(self) -> Path:
        """The server log, shown when start-up fails."""
        return self.directory / "server.log"

    def start(self) -> None:
        """initdb a fresh cluster and start it on 127.0.0.1:``port``; cleans up on failure."""
        self.root = Path(tempfile.mkdtemp(prefix="authsvc-pg-"))
        try:
            self._initdb()
            self.resume()
        except subprocess.CalledProcessError as exc:
            log = self.logfile.read_text(errors="replace") if self.logfile.exists() else ""
            self.stop()
            raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{log}") from exc
        except BaseException:
            self.stop()
            raise

    def _initdb(self) -> None:
        self.socket_dir.mkdir()
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SUPERUSER)
            for path in (self.directory, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            self._run_as = ["runuser", "-u", SUPERUSER, "--"]
        self._run(
            "initdb",
            f"--pgdata={self.datadir}",
            f"--username={SUPERUSER}",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
        self.port = self.port or free_port()
        settings = {
            **SERVER_SETTINGS,
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
        }
        # Appending keeps the file's owner, so this works as root too.
        with (self.datadir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def stop(self) -> None:
        """Stop the server (fast shutdown) if it runs, and delete its directory."""
        if self.root is None:
            return
        if (self.datadir / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError):
                self.halt()
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def halt(self) -> None:
        """Stop the server but keep the cluster, as in a database outage; see :meth:`resume`.

        A fast shutdown: open connections are cut, and new ones are refused until the server
        is resumed.
        """
        self._run("pg_ctl", f"--pgdata={self.datadir}", "--mode=fast", "--wait", "stop")

    def resume(self) -> None:
        """Start the cluster's server (first start, or again after :meth:`halt`), same port."""
        self._run(
            "pg_ctl",
            f"--pgdata={self.datadir}",
            f"--log={self.logfile}",
            "--wait",
            "--timeout=60",
            "start",
        )

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def cpu_seconds(self) -> float:
        """CPU time of the postmaster and its backends so far (for the benchmark)."""
        try:
            pid = int((self.datadir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0.0
        return sum(process_cpu_seconds(p) for p in [pid, *descendants(pid)])

    def dsn(self, dbname: str = "postgres") -> str:
        """A libpq connection string for psycopg."""
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={dbname}"

    def url(self, dbname: str) -> str:
        """The SQLAlchemy URL the service takes in ``AUTHSVC_DATABASE_URL``."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (a copy of ``template1``) and return its name."""
        name = name or f"authsvc_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.dsn(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template1").format(sql.Identifier(name))
            )
        return name

    def new_database(self) -> Database:
        """A fresh database for one test or module; drop it with :meth:`drop_database`."""
        name = self.create_database()
        return Database("postgres", name, self.url(name), self.dsn(name))

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting whoever is still on it."""
        with psycopg.connect(self.dsn(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a server binary as the cluster's owner."""
        return subprocess.run(  # noqa: S603 - fixed argument lists, nothing from outside
            [*self._run_as, str(self.bindir / tool), *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=COMMAND_TIMEOUT,
            cwd=self.directory,
        )
