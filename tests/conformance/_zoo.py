"""The conformance zoo's harness: start the defect target with some switches, run the suite on it.

``start_zoo`` starts ``tests/conformance/defect_target`` as a real process on 127.0.0.1 with the
framework's launcher (own session, ready probe, stopped by pid), from the ``[launch]`` table of
its profile with ``--defect`` appended. ``zoo_suite_inline`` runs ``quality-gates conformance``
against it through the command's ``main``. ``Verdicts`` is the one place that reads the JSON
report, so a change of the report's shape is adapted here only.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import secrets
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quality_gates.conformance.report import checks_of
from quality_gates.profile import load_profile
from quality_gates.replay.launch import Server, start_server
from tests.conformance._targets import ROOT

PROFILE = Path(__file__).resolve().parent / "defect_target" / "profile.toml"
READY_TIMEOUT = 30.0


@dataclass
class Zoo:
    """A running defect target and the environment its profile's hooks read."""

    server: Server
    env: dict[str, str]
    defects: tuple[str, ...]

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return self.server.base_url


@contextmanager
def start_zoo(workdir: Path, defects: Sequence[str] = ()) -> Iterator[Zoo]:
    """The target with ``defects`` switched on, stopped (by pid) on exit."""
    launch = load_profile(PROFILE).launch
    assert launch is not None
    command = (sys.executable, *launch.command[1:], "--defect", ",".join(defects))
    launch = dataclasses.replace(launch, command=command, ready_timeout_seconds=READY_TIMEOUT)
    clock = workdir / "clock-offset"
    clock.write_text("0", encoding="utf-8")
    env = {
        "DEFECT_TARGET_JWT_KEY": secrets.token_urlsafe(48),
        "DEFECT_TARGET_CLOCK_FILE": str(clock),
        "DEFECT_TARGET_DATABASE": str(workdir / "zoo.db"),  # the [launch] command's file
    }
    label = "zoo-" + ("-".join(defects) or "clean")
    server = start_server(
        label, launch, {**os.environ, **env}, database_url="", workdir=workdir, cwd=ROOT
    )
    try:
        yield Zoo(server, env, tuple(defects))
    finally:
        server.stop()


@dataclass(frozen=True)
class Verdicts:
    """What a conformance report says, check by check: the zoo's only reader of its JSON.

    ``checks`` holds ``(check name, property id, status, reason)``, with status one of
    passed/failed/observed/error/skipped/not-run, read from the framework's ``quality-gates/1``
    document by ``checks_of``.
    """

    checks: tuple[tuple[str, str, str, str], ...]

    @classmethod
    def of(cls, report: dict[str, Any]) -> Verdicts:
        """Read a ``quality-gates conformance`` JSON report (empty when none was written)."""
        rows = checks_of(report) if report.get("gates") else []
        checks = tuple((c["check"], c["property"], c["status"], c["reason"]) for c in rows)
        return cls(checks)

    def with_status(self, *statuses: str) -> list[tuple[str, str, str, str]]:
        """The checks whose status is one of ``statuses``."""
        return [check for check in self.checks if check[2] in statuses]

    def flagged(self) -> set[str]:
        """The property ids with a failed or observed check: what the run found."""
        return {check[1] for check in self.with_status("failed", "observed")}


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in ``os.environ`` for the duration (the profile's hooks read them there)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def zoo_suite_inline(
    zoo: Zoo, report: Path, *args: str, profile: Path = PROFILE
) -> tuple[int, Verdicts]:
    """``quality-gates conformance`` against ``zoo`` in this process (no interpreter start-up).

    The same command line as a user's, through ``quality_gates.cli.main``; the JSON report is
    written to ``report`` and read back. Extra ``args``: ``-k EXPR``.
    """
    from quality_gates.cli import main  # noqa: PLC0415

    argv = ["-q", "--report", f"json={report}", "conformance", zoo.base_url]
    with _environment(zoo.env):
        code = main([*argv, "--profile", str(profile), *args])
    # The suite can leave sockets of its run to the garbage collector; collected during the
    # next run, their ResourceWarning would end that run as an internal error (exit 3).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    document = json.loads(report.read_text(encoding="utf-8")) if report.is_file() else {}
    return code, Verdicts.of(document)
