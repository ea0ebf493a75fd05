"""Start one version of the service as a real process on 127.0.0.1, as its profile says.

The ``[launch]`` command runs in a session (process group) of its own with the version's
environment; the server is ready when ``ready_path`` answers 200. Stopping signals only that
group: SIGTERM first, so the service shuts down cleanly and flushes its database, then SIGKILL.
authsvc's integration-test harness (``tests/integration/_servers.py``) starts its servers with
:func:`start_server` too, and adds its own wait for every worker and its own stop.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from quality_gates.processes import HOST, free_port, stop_group
from quality_gates.profile import Launch, expand, expand_one


class LaunchError(Exception):
    """A version did not start, or a command of it failed; the message carries its output."""


def launch_env(
    launch: Launch, base: Mapping[str, str], *, database_url: str, workdir: Path, port: int = 0
) -> dict[str, str]:
    """``base`` plus the profile's ``[launch] env`` with its placeholders filled."""
    env = dict(base)
    values = {"port": port, "database_url": database_url, "workdir": workdir}
    env.update({key: expand_one(value, **values) for key, value in launch.env.items()})
    return env


def _tail(path: Path, limit: int = 3000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-limit:]
    except OSError:
        return ""


def run_command(
    label: str, command: tuple[str, ...], env: Mapping[str, str], cwd: Path, timeout: float
) -> str:
    """Run a one-off command of a version (migrate, seed); its output, or ``LaunchError``."""
    try:
        done = subprocess.run(  # noqa: S603 - the profile's own command
            list(command),
            env=dict(env),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise LaunchError(f"{label}: command not found: {command[0]}") from None
    except subprocess.TimeoutExpired:
        raise LaunchError(
            f"{label}: `{' '.join(command)}` timed out after {timeout:.0f}s"
        ) from None
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()[-3000:]
        raise LaunchError(f"{label}: `{' '.join(command)}` exited {done.returncode}:\n{output}")
    return done.stdout


@dataclass
class Server:
    """A running version; :meth:`stop` ends it."""

    label: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"

    def log_tail(self) -> str:
        """The end of the server's output."""
        return _tail(self.log_path)

    def stop(self) -> None:
        """SIGTERM the process group, wait, then SIGKILL whatever is left of it."""
        stop_group(self.process, signal.SIGTERM)


def start_server(
    label: str,
    launch: Launch,
    env: Mapping[str, str],
    *,
    database_url: str,
    workdir: Path,
    cwd: Path,
) -> Server:
    """Start a version and wait until ``ready_path`` answers 200 (or raise ``LaunchError``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    values = {"port": port, "database_url": database_url, "workdir": workdir}
    command = expand(launch.command, **values)
    full_env = launch_env(launch, env, database_url=database_url, workdir=workdir, port=port)
    log_path = workdir / f"{label}-{port}.log"
    with log_path.open("wb") as log:
        try:
            process = subprocess.Popen(  # noqa: S603 - the profile's own command
                list(command),
                env=full_env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except FileNotFoundError:
            raise LaunchError(f"{label}: command not found: {command[0]}") from None
    server = Server(label, process, port, log_path)
    try:
        _wait_ready(server, launch)
    except LaunchError:
        server.stop()
        raise
    return server


def _wait_ready(server: Server, launch: Launch) -> None:
    deadline = time.monotonic() + launch.ready_timeout_seconds
    with httpx.Client(base_url=server.base_url, timeout=2.0) as client:
        while True:
            if server.process.poll() is not None:
                raise LaunchError(
                    f"{server.label} exited with code {server.process.returncode} while "
                    f"starting:\n{server.log_tail()}"
                )
            with contextlib.suppress(httpx.TransportError):
                if client.get(launch.ready_path).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise LaunchError(
                    f"{server.label} not ready after {launch.ready_timeout_seconds:.0f}s:\n"
                    f"{server.log_tail()}"
                )
            time.sleep(0.05)
