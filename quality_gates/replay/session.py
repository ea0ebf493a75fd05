"""The state of one replay run: its working directory, databases, servers and time budget.

Everything started here is stopped by :meth:`Run.close`, and a SIGTERM (a CI timeout) unwinds
like Ctrl-C so that ``close`` runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from quality_gates.profile import expand
from quality_gates.replay.databases import Databases, open_databases
from quality_gates.replay.launch import LaunchError, Server, launch_env, run_command, start_server
from quality_gates.replay.progress import Progress
from quality_gates.replay.worktree import VersionEnv
from quality_gates.topology.clients import client_addresses
from quality_gates.topology.nginx import Nginx, NginxError, start_nginx

#: Client addresses the accounts are spread over behind the proxy (one more hammers).
PROXIED_CLIENTS = 8

if TYPE_CHECKING:
    from quality_gates.replay.runner import ReplayConfig


class ReplayTimeoutError(Exception):
    """The replay ran out of its time budget."""


class Run:
    """The state of one replay: its directories, databases and running servers."""

    def __init__(self, config: ReplayConfig, workdir: Path, progress: Progress) -> None:
        self.config = config
        self.workdir = workdir
        self.progress = progress
        self.deadline = time.monotonic() + config.timeout
        self.dbs: Databases = open_databases(config.database, workdir / "db", config.postgres_dsn)
        self.servers: list[Server] = []
        self.proxies: dict[int, Nginx] = {}  # by the port of the server behind it
        proxied = config.topology == "nginx"
        addresses = client_addresses(PROXIED_CLIENTS + 1) if proxied else ()
        #: Source addresses of the replay's clients (``None``: the default, 127.0.0.1) and
        #: of the noisy neighbour (behind the proxy only).
        self.clients: tuple[str | None, ...] = addresses[:-1] or (None,)
        self.neighbour: str | None = addresses[-1] if proxied else None

    def environ(self, version: VersionEnv) -> dict[str, str]:
        # Both versions run in the configured zone; the policy's env may still set TZ itself.
        return {**version.environ(os.environ), "TZ": self.config.timezone, **self.config.env}

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ReplayTimeoutError(f"the replay took longer than {self.config.timeout:.0f}s")
        return left

    def command(
        self, label: str, version: VersionEnv, template: tuple[str, ...], db: str, **extra: object
    ) -> None:
        launch = self.config.profile.launch
        assert launch is not None  # noqa: S101 - checked by the gate
        url = self.dbs.url(db)
        env = launch_env(launch, self.environ(version), database_url=url, workdir=self.workdir)
        env.update(self.config.profile.hooks.env)
        command = expand(template, database_url=url, workdir=self.workdir, port=0, **extra)
        timeout = min(
            self.remaining(),
            max(self.config.profile.hooks.timeout_seconds, 60 + len(self.config.population) * 0.05),
        )
        run_command(label, command, env, version.source, timeout)

    def start(
        self, label: str, version: VersionEnv, db: str, env: Mapping[str, str] | None = None
    ) -> Server:
        """Start ``version`` on database ``db``; ``env`` is added to its environment (skew)."""
        launch = self.config.profile.launch
        assert launch is not None  # noqa: S101 - checked by the gate
        server = start_server(
            label,
            launch,
            {**self.environ(version), **(env or {})},
            database_url=self.dbs.url(db),
            workdir=self.workdir,
            cwd=version.source,
        )
        self.servers.append(server)
        if self.config.topology == "nginx":
            try:
                proxy = start_nginx(server.port, self.workdir / f"{label}-nginx")
            except NginxError as exc:
                self.stop(server)
                raise LaunchError(f"{label}: {exc}") from None
            self.proxies[server.port] = proxy
        return server

    def url(self, server: Server) -> str:
        """Where clients reach ``server``: its proxy's URL, or its own."""
        proxy = self.proxies.get(server.port)
        return proxy.base_url if proxy is not None else server.base_url

    def stop(self, *servers: Server) -> None:
        for server in servers:
            if (proxy := self.proxies.pop(server.port, None)) is not None:
                proxy.stop()
            server.stop()
            self.servers.remove(server)

    def close(self) -> None:
        self.stop(*self.servers)
        self.dbs.close()

    def arun(self, coroutine: object) -> object:
        async def bounded() -> object:
            return await asyncio.wait_for(coroutine, timeout=self.remaining())  # type: ignore[arg-type]

        try:
            return asyncio.run(bounded())
        except TimeoutError:
            raise ReplayTimeoutError(
                f"the replay took longer than {self.config.timeout:.0f}s"
            ) from None


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI timeout) unwinds like Ctrl-C, so the servers started here are stopped."""

    def interrupt(signum: int, frame: object) -> None:  # noqa: ARG001
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
