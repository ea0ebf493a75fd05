"""The README's first steps, as written: ``nox -s serve``, ``nox -s conformance``, ``kill -TERM``.

Runs the real nox sessions of this repository (they build their environments in ``.nox/`` the
first time: tens of seconds). The database is a temporary file instead of the repository's
``authsvc.db``, given to both sessions the way a user would, through ``AUTHSVC_DATABASE_URL``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration._procfs import descendants, is_running
from tests.integration._servers import HOST, free_port

ROOT = Path(__file__).resolve().parents[2]
NOX = shutil.which("nox")
READY_TIMEOUT = 240.0  # a first run creates .nox/serve
# The properties whose grey-box hooks (seed, read the stored hash, disable) need the database.
HOOKED = {
    "11": "test_disabled_account_cannot_log_in",
    "21": "test_legacy_hash_is_upgraded_on_success",
    "22": "test_failed_login_never_rewrites_the_hash",
}

pytestmark = [
    pytest.mark.skipif(NOX is None, reason="nox is not on PATH"),
    pytest.mark.timeout(900),
]


def _env(database: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AUTHSVC_")}
    # The outer nox session's environment must not leak into the inner sessions'.
    for name in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"):
        env.pop(name, None)
    env["AUTHSVC_DATABASE_URL"] = f"sqlite:///{database}"
    return env


def _stray_database() -> int | None:
    """The modification time of profiles/authsvc.db, the file the hooks used to create."""
    stray = ROOT / "profiles" / "authsvc.db"
    return stray.stat().st_mtime_ns if stray.exists() else None


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, dict[str, str]]]:
    """``nox -s serve -- --port P`` in a session of its own, killed by group at the end."""
    assert NOX is not None
    port = free_port()
    env = _env(tmp_path / "dev.db")
    log = (tmp_path / "serve.log").open("wb")
    nox = subprocess.Popen(  # noqa: S603 - our own command line
        [NOX, "-s", "serve", "--", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            assert nox.poll() is None, (tmp_path / "serve.log").read_text(errors="replace")
            assert time.monotonic() < deadline, "nox -s serve did not become ready"
            try:
                if httpx.get(f"http://{HOST}:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        # The database named in the environment, not the repository's authsvc.db.
        assert (tmp_path / "dev.db").is_file()
        yield nox, port, env
    finally:
        # The group this fixture started: nox, and a server that may have outlived it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(nox.pid, signal.SIGKILL)
        nox.wait()
        log.close()


def test_conformance_then_sigterm(
    served: tuple[subprocess.Popen[bytes], int, dict[str, str]],
) -> None:
    """The suite's hooks reach the served database; SIGTERM to nox stops the server too."""
    assert NOX is not None
    nox, port, env = served
    stray_before = _stray_database()
    done = subprocess.run(  # noqa: S603 - our own command line
        [
            NOX,
            "-s",
            "conformance",
            "--",
            f"http://{HOST}:{port}",
            "-k",
            " or ".join(HOOKED.values()),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for prop, name in HOOKED.items():  # a row of the text report's ``checks`` table
        row = re.compile(rf"^ +{name} +{prop} +passed *$", re.MULTILINE)
        assert row.search(done.stdout), done.stdout[-3000:]
    # The hooks ran in profiles/ and used the server's database, creating none of their own.
    assert _stray_database() == stray_before

    servers = descendants(nox.pid)
    assert servers, "nox -s serve has no child process"
    nox.send_signal(signal.SIGTERM)  # to nox alone, as `kill -TERM <pid of nox>` does
    nox.wait(timeout=60)
    deadline = time.monotonic() + 30
    while any(is_running(pid) for pid in servers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in servers if is_running(pid)], "authsvc serve outlived nox"
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://{HOST}:{port}/readyz", timeout=2)
