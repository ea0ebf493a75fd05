"""Live targets for the conformance tests: authsvc and the fastapi-users example, on 127.0.0.1.

authsvc is started with the integration harness (``tests/integration/_servers.py``); the
fastapi-users app with uvicorn, the same way (own session, stopped by pid). ``run_suite`` runs
``quality-gates conformance`` as a separate process - what a user runs - with the environment
the profiles' hooks read, and returns its exit code and JSON report.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quality_gates.conformance.report import checks_of
from quality_gates.profile import Launch
from quality_gates.replay.launch import Server
from quality_gates.replay.launch import start_server as launch_server
from tests.integration._servers import HOST, Database, LiveServer, start_server

ROOT = Path(__file__).resolve().parents[2]
PROFILES = ROOT / "profiles"
FASTAPI_USERS_APP = ROOT / "examples" / "fastapi_users_app"
READY_TIMEOUT = 60.0
SUITE_TIMEOUT = 240.0
# The OWASP minimum for argon2id. fastapi-users' default (64 MiB, t=3, p=4) takes ~160 ms a hash
# on a 2-core runner; this keeps the run short and still meets property 23.
FASTAPI_USERS_ARGON2 = "19456,2,1"


#: A property's status is the worst of its checks'.
_RANK = ("failed", "error", "observed", "passed", "not-run", "skipped")


@dataclass
class Suite:
    """One finished conformance run."""

    exit_code: int
    report: dict[str, Any]
    stdout: str
    stderr: str

    @property
    def counts(self) -> dict[str, int]:
        """Checks per status (the gate's metrics)."""
        return {k: int(v) for k, v in self.report["gates"][0]["metrics"].items()}

    @property
    def all_checks(self) -> list[dict[str, str]]:
        """Every check: check, property, status, reason, evidence."""
        return checks_of(self.report) if self.report else []

    def checks(self, property_id: str) -> list[dict[str, str]]:
        """The checks of one property."""
        return [c for c in self.all_checks if c["property"] == property_id]

    def status(self, property_id: str) -> str:
        """The property's status (the worst of its checks)."""
        return min((c["status"] for c in self.checks(property_id)), key=_RANK.index)


def start_authsvc(workdir: Path) -> tuple[LiveServer, dict[str, str]]:
    """authsvc with its default argon2 parameters, and the environment its profile's hooks read."""
    database = Database.sqlite(workdir / "authsvc.db")
    # Default hashing: the profile claims it (property 23) and a ~20 ms KDF makes the timing
    # property meaningful; the whole run still takes a few seconds of hashing.
    # A run sends some 300 failed logins from 127.0.0.1 in well under a minute: authsvc's
    # per-client limiter (300 failures a minute, tested on its own) would then refuse the
    # control account, which the suite rightly reports as a client-wide lockout. Off here.
    server = start_server(
        workdir, database, fast_hashing=False, env={"AUTHSVC_CLIENT_RATE_LIMIT": "0"}
    )
    key = json.loads(server.env["AUTHSVC_SIGNING_KEYS"])[0]["secret"]
    assert server.clock_file is not None
    hook_env = {
        "AUTHSVC_DATABASE_URL": database.url,
        "AUTHSVC_CLOCK_OFFSET_FILE": str(server.clock_file),
        "CONFORMANCE_JWT_KEY": key,
    }
    return server, hook_env


def start_fastapi_users(workdir: Path) -> tuple[Server, dict[str, str]]:
    """The fastapi-users example on a free port, and the environment its hooks read."""
    app_env = {
        "FASTAPI_USERS_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'fastapi-users.db'}",
        "FASTAPI_USERS_SECRET": secrets.token_urlsafe(48),
        "FASTAPI_USERS_ARGON2": FASTAPI_USERS_ARGON2,
    }
    # The framework's launcher, as the replay gate starts a target: own session, ready probe.
    launch = Launch(
        command=(
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "--app-dir",
            str(FASTAPI_USERS_APP),
            "app:create_app",
            "--host",
            HOST,
            "--port",
            "{port}",
        ),
        ready_path="/healthz",
        ready_timeout_seconds=READY_TIMEOUT,
    )
    server = launch_server(
        "fastapi-users",
        launch,
        {**os.environ, **app_env},
        database_url=app_env["FASTAPI_USERS_DATABASE_URL"],
        workdir=workdir,
        cwd=workdir,
    )
    return server, app_env


def run_suite(
    url: str,
    profile: Path,
    env: Mapping[str, str],
    *args: str,
    timeout: float = SUITE_TIMEOUT,
) -> Suite:
    """``quality-gates conformance URL --profile FILE --format json`` in a child process."""
    done = subprocess.run(  # noqa: S603 - our own command line
        [
            sys.executable,
            "-m",
            "quality_gates",
            "conformance",
            url,
            "--profile",
            str(profile),
            "--format",
            "json",
            *args,
        ],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    try:
        report = json.loads(done.stdout) if done.stdout.strip() else {}
    except ValueError:
        report = {}
    return Suite(done.returncode, report, done.stdout, done.stderr)
