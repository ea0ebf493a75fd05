"""Start the real ``authsvc serve`` as a child process on 127.0.0.1, and look inside it.

:func:`start_server` runs the installed ``authsvc`` command (what an operator runs) with a
hermetic environment through the replay gate's launcher (``quality_gates.replay.launch``: a free
port, a session of its own, the output in a log file, ``/readyz`` polled until it answers), then
waits until *every* worker has answered; :meth:`LiveServer.stop` ends it by pid: SIGTERM to the
server, then SIGKILL to the process group it was started in. Only processes started here are
ever signalled.

With ``_procfs.py`` it tells which uvicorn worker holds a given TCP connection, so tests can
prove a rule holds on *every* worker rather than hoping the kernel spread requests, and reads
peak memory and CPU time for the benchmark. Used by ``tests/integration``, ``tests/conformance``
and ``bench/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import psycopg

from quality_gates.processes import HOST, free_port
from quality_gates.profile import Launch
from quality_gates.replay.launch import LaunchError
from quality_gates.replay.launch import start_server as launch_server
from tests.integration._procfs import (
    connection_owner,
    descendants,
    group_of,
    process_cpu_seconds,
    response_client_port,
    status_kib,
)

__all__ = [
    "HOST",
    "Database",
    "LiveServer",
    "MakeDatabase",
    "ServerStartError",
    "StartLiveServer",
    "authsvc_command",
    "free_port",
    "service_env",
    "start_server",
]

READY_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0  # graceful: uvicorn stops its workers, coverage and authsvc clean up
# Small argon2id parameters keep integration tests fast; the benchmark uses the defaults.
FAST_ARGON2 = {
    "AUTHSVC_ARGON2_MEMORY_COST": "1024",
    "AUTHSVC_ARGON2_TIME_COST": "1",
    "AUTHSVC_ARGON2_PARALLELISM": "1",
}


class ServerStartError(LaunchError):
    """``authsvc serve`` exited or did not become ready; the message carries its output."""


def authsvc_command() -> list[str]:
    """The installed ``authsvc`` script beside this interpreter, else the entry point by hand."""
    script = Path(sys.executable).parent / "authsvc"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from authsvc.cli import main; sys.exit(main())"]


def new_signing_keys() -> str:
    """A fresh ``AUTHSVC_SIGNING_KEYS`` value: one random 48-byte key per server."""
    return json.dumps([{"kid": "test-1", "secret": secrets.token_urlsafe(48)}])


def service_env(
    database_url: str,
    *,
    clock_file: Path | None = None,
    fast_hashing: bool = True,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment for ``authsvc``: this one minus any ``AUTHSVC_*``, plus the given ones.

    Inherited ``AUTHSVC_*`` variables are dropped so a developer's shell cannot change what a
    test sees; everything else (PATH, coverage's variables) passes through.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("AUTHSVC_")}
    env["AUTHSVC_DATABASE_URL"] = database_url
    env["AUTHSVC_SIGNING_KEYS"] = new_signing_keys()
    if clock_file is not None:
        env["AUTHSVC_CLOCK_OFFSET_FILE"] = str(clock_file)
    if fast_hashing:
        env.update(FAST_ARGON2)
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class Database:
    """Where a server keeps its data, and a way for tests to read it directly."""

    kind: Literal["sqlite", "postgres"]
    name: str
    """The SQLite file path, or the PostgreSQL database name."""
    url: str
    """The SQLAlchemy URL passed in ``AUTHSVC_DATABASE_URL``."""
    dsn: str
    """The SQLite file path, or the libpq connection string."""

    @classmethod
    def sqlite(cls, path: Path) -> Database:
        """A SQLite file (created by the service's migrations)."""
        file = str(path.resolve())
        return cls("sqlite", file, f"sqlite:///{file}", file)

    def fetch_all(
        self, query: str, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Run one read query; ``:name`` placeholders work on both kinds."""
        params = dict(params or {})
        if self.kind == "sqlite":
            with contextlib.closing(sqlite3.connect(self.dsn, timeout=10)) as conn:
                return list(conn.execute(query, params).fetchall())
        # psycopg wants %(name)s; a literal % must be doubled first.
        pg_query = re.sub(r"(?<!:):(\w+)", r"%(\1)s", query.replace("%", "%%"))
        with psycopg.connect(self.dsn, connect_timeout=10) as conn:
            return list(conn.execute(pg_query, params).fetchall())


@dataclass
class LiveServer:
    """A running ``authsvc serve``; stop it with :meth:`stop` (or use it as a context manager)."""

    process: subprocess.Popen[bytes]
    database: Database
    port: int
    workers: int
    env: dict[str, str]
    workdir: Path
    log_path: Path
    clock_file: Path | None
    _worker_pids: list[int] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        """The pid of the ``authsvc serve`` process this harness started."""
        return self.process.pid

    @property
    def worker_pids(self) -> list[int]:
        """The processes seen answering requests (the server itself when single-process)."""
        return list(self._worker_pids)

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_tail(self, limit: int = 6000) -> str:
        """The end of the server's combined stdout and stderr."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return text[-limit:]

    def set_clock_offset(self, seconds: float) -> None:
        """Move the service's clock: rewrite the offset file atomically (workers read it)."""
        if self.clock_file is None:
            raise RuntimeError("this server was started without a clock offset file")
        temporary = self.clock_file.with_suffix(".tmp")
        temporary.write_text(f"{seconds}\n", encoding="utf-8")
        temporary.replace(self.clock_file)

    def run_cli(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        """Run ``authsvc <args>`` against this server's database and settings."""
        return subprocess.run(  # noqa: S603 - our own command line
            [*authsvc_command(), *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def processes(self) -> list[int]:
        """The server's pid and all its live descendants."""
        return [self.pid, *descendants(self.pid)]

    def peak_rss_kib(self) -> int:
        """Sum of the peak resident set (VmHWM) of the server and its live descendants."""
        return sum(status_kib(pid, "VmHWM") for pid in self.processes())

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the server and its live descendants."""
        return sum(process_cpu_seconds(pid) for pid in self.processes())

    def worker_of(self, response: httpx.Response) -> int:
        """The pid of the process that holds the connection ``response`` came over."""
        client_port = response_client_port(response)
        pid = connection_owner(self.port, client_port, self.processes())
        if pid is None:
            raise LookupError(f"no server process holds the connection from port {client_port}")
        return pid

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM the server, wait, then SIGKILL what is left of it; returns the exit code."""
        process = self.process
        family = self.processes() if process.poll() is None else []
        if process.poll() is None:
            # SIGTERM lets uvicorn stop its workers and coverage write its data.
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=timeout)
        # The server was started in a session (and process group) of its own, so its pid is
        # the group id; a survivor still in that group keeps the id from being reused.
        leftovers = [pid for pid in family if group_of(pid) == process.pid]
        if process.poll() is None or leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        return process.wait(timeout=timeout)


#: The ``make_database`` fixture: a fresh database of a kind ("sqlite" or "postgres").
MakeDatabase = Callable[[str], Database]


def start_server(
    workdir: Path,
    database: Database,
    *,
    workers: int = 1,
    fast_hashing: bool = True,
    movable_clock: bool = True,
    env: Mapping[str, str] | None = None,
    extra_args: tuple[str, ...] = (),
    ready_timeout: float = READY_TIMEOUT,
) -> LiveServer:
    """Start ``authsvc serve`` on a free 127.0.0.1 port and wait until every worker answers.

    ``workdir`` receives the log, the clock offset file (starting at 0) and is the server's
    working directory. Retries once on a new port if another process took the chosen one.
    ``movable_clock=False`` leaves out the clock test hook (the benchmark measures the
    production clock, which costs no ``stat`` per reading).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    clock_file: Path | None = None
    if movable_clock:
        clock_file = workdir / "clock-offset"
        clock_file.write_text("0\n", encoding="utf-8")
    full_env = service_env(database.url, clock_file=clock_file, fast_hashing=fast_hashing)
    full_env.update(env or {})
    command = (*authsvc_command(), "serve", "--host", HOST, "--port", "{port}")
    launch = Launch(
        command=(*command, "--workers", str(workers), *extra_args),
        ready_path="/readyz",
        ready_timeout_seconds=ready_timeout,
    )
    for attempt in range(2):
        deadline = time.monotonic() + ready_timeout
        try:
            started = launch_server(
                "authsvc-serve",
                launch,
                full_env,
                database_url=database.url,
                workdir=workdir,
                cwd=workdir,
            )
        except LaunchError as exc:
            if attempt == 0 and "address already in use" in str(exc).lower():
                continue
            raise ServerStartError(str(exc)) from None
        server = LiveServer(
            started.process,
            database,
            started.port,
            workers,
            full_env,
            workdir,
            started.log_path,
            clock_file,
        )
        try:
            _wait_for_every_worker(server, deadline)
        except ServerStartError:
            server.stop()
            raise
        return server
    raise ServerStartError("unreachable")  # pragma: no cover - the loop returns or raises


#: The ``start_live_server`` fixture: :func:`start_server` without the working directory.
StartLiveServer = Callable[..., LiveServer]


def _wait_for_every_worker(server: LiveServer, deadline: float) -> None:
    """Poll ``/readyz`` over fresh connections until each of the workers has answered 200.

    The launcher returned when the first answer came; a fresh client per probe lets a new
    connection land on another worker, and ``/proc`` tells which one answered.
    """
    seen: set[int] = set()
    while len(seen) < server.workers:
        if server.process.poll() is not None:
            raise ServerStartError(
                f"authsvc serve exited with code {server.process.returncode}:\n{server.log_tail()}"
            )
        if time.monotonic() > deadline:
            raise ServerStartError(
                f"authsvc serve: {len(seen)} of {server.workers} workers ready before the "
                f"start-up deadline:\n{server.log_tail()}"
            )
        with (
            contextlib.suppress(httpx.TransportError, LookupError),
            httpx.Client(base_url=server.base_url, timeout=2.0) as client,
        ):
            response = client.get("/readyz")
            if response.status_code == 200:
                seen.add(server.worker_of(response))
                continue
        time.sleep(0.05)
    server._worker_pids = sorted(seen)
