"""The pytest plugin of the conformance suite (entry point ``pytest11``: quality_gates_conformance).

It is inert unless ``--target-url`` or ``--target-profile`` is given: it then only adds its
options and registers the ``auth_property`` marker, so it can stay installed in any project.
With a target, it loads the profile (every problem listed, exit 2), checks that the target
answers (exit 2 when it does not), gives the suite's tests their ``target``, grades each check
(``grading.py``), prints a one-line summary and writes the reports asked for with
``--conformance-report FORMAT=PATH`` through the framework's renderers. Run the suite with::

    pytest --pyargs quality_gates.conformance.properties --target-profile FILE [--target-url URL]

Never crash, always report: whatever a check raises - in its requests, its evidence, the
masking - becomes that check's ``error`` with the exception's type and message; the other checks
still run and every report is written.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import httpx
import pytest

from quality_gates.conformance import grading
from quality_gates.conformance.evidence import EvidenceLog
from quality_gates.conformance.grading import CheckStatus
from quality_gates.conformance.hooks import HookError
from quality_gates.conformance.report import Check, Run, as_result
from quality_gates.conformance.target import Target, open_target, probe
from quality_gates.errors import InputError
from quality_gates.report import FORMATS, render
from quality_gates.report.as_text import gate_line
from quality_gates.result import GateResult

MARKER = "auth_property"
EXIT_INPUT = 2
TARGET_KEY = pytest.StashKey[Target]()
LOG_KEY = pytest.StashKey[EvidenceLog]()
CHECKS_KEY = pytest.StashKey[list[Check]]()
#: The run's result, for a caller that runs pytest in-process (the ``conformance`` command).
RESULT_KEY = pytest.StashKey[GateResult]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """The target, its profile, the reports to write and whether observations fail."""
    group = parser.getgroup("conformance", "auth conformance suite (quality_gates.conformance)")
    group.addoption("--target-url", metavar="URL", default=None, help="the login API to test")
    group.addoption(
        "--target-profile", metavar="FILE", default=None, help="its target profile (TOML)"
    )
    group.addoption(
        "--conformance-report",
        metavar="FORMAT=PATH",
        action="append",
        default=[],
        help=f"write a report: FORMAT one of {', '.join(FORMATS)}; repeatable",
    )
    group.addoption(
        "--conformance-strict",
        action="store_true",
        default=False,
        help="observations (violations of unclaimed properties) fail the run too",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker; with a target, open it (or exit 2 listing every problem)."""
    config.addinivalue_line(
        "markers", f"{MARKER}(id): the catalogue property a conformance test checks"
    )
    url = config.getoption("--target-url")
    profile = config.getoption("--target-profile")
    if url is None and profile is None:
        return  # inert: this run is not a conformance run
    try:
        specs = [_report_spec(value) for value in config.getoption("--conformance-report")]
        config.stash[TARGET_KEY] = open_target(url, profile)
    except InputError as exc:
        pytest.exit("\n".join(["conformance: invalid input:", *exc.problems]), EXIT_INPUT)
    config.stash[CHECKS_KEY] = []
    config.pluginmanager.register(_Collector(config, specs), "quality_gates_conformance_run")


def _report_spec(value: str) -> tuple[str, Path]:
    fmt, sep, path = value.partition("=")
    if not sep or fmt not in FORMATS or not path:
        raise InputError(
            f"--conformance-report {value!r}: expected FORMAT=PATH, FORMAT one of "
            + ", ".join(FORMATS)
        )
    return fmt, Path(path)


def active_target(config: pytest.Config) -> Target | None:
    """The target of this run, or ``None`` when no target was given."""
    return config.stash.get(TARGET_KEY, None)


class _Collector:
    """Per-run hooks, registered only when there is a target."""

    def __init__(self, config: pytest.Config, specs: list[tuple[str, Path]]) -> None:
        self.config = config
        self.specs = specs
        self.target = config.stash[TARGET_KEY]
        self.deselected = 0

    def pytest_sessionstart(self) -> None:
        try:
            probe(self.target)
        except InputError as exc:
            pytest.exit("conformance: " + "; ".join(exc.problems), EXIT_INPUT)

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += len(items)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self) -> None:
        grading.reset()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        test_report = yield
        marker = item.get_closest_marker(MARKER)
        if marker is None or not marker.args:
            return test_report
        check = _grade(item, call, test_report, str(marker.args[0]))
        if check is not None:
            self.config.stash[CHECKS_KEY].append(check)
        return test_report

    def run(self) -> Run:
        """The run so far, as the report model sees it."""
        checks: list[Check] = self.config.stash[CHECKS_KEY]
        return Run(
            self.target.profile.name,
            tuple(checks),
            self.target.connection.requests,
            self.deselected,
            bool(self.config.getoption("--conformance-strict")),
        )

    def pytest_sessionfinish(self) -> None:
        self.target.connection.close()
        try:
            result = as_result(self.run())
        except Exception as exc:  # noqa: BLE001 - a bug here must still leave every report written
            reason = f"internal error: could not build the report: {_describe(exc)}"
            name = f"conformance {self.target.profile.name}"
            result = GateResult(name, "error", reason=reason, internal=True)
        self.config.stash[RESULT_KEY] = result
        for fmt, path in self.specs:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render([result], fmt), encoding="utf-8")

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        result = self.config.stash[RESULT_KEY]
        terminalreporter.write_sep("=", "conformance")
        terminalreporter.write_line(gate_line(result))


def _grade(
    item: pytest.Item,
    call: pytest.CallInfo[None],
    test_report: pytest.TestReport,
    property_id: str,
) -> Check | None:
    """The check a phase decides, or ``None`` for a phase that decides nothing."""
    name = item.name
    if test_report.skipped:
        longrepr = test_report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        not_run = grading.current().not_run
        return Check(name, property_id, "not-run" if not_run else "skipped", reason)
    if test_report.passed and test_report.when != "call":
        return None
    log = item.stash.get(LOG_KEY, None)
    status, reason = _failure(call) if test_report.failed else ("passed", "")
    try:
        # The reason may quote what the target sent: masked like the evidence.
        evidence = log.render() if log is not None and log.exchanges else ""
        reason = log.masker.mask(reason) if log is not None else reason
    except Exception as exc:  # noqa: BLE001 - a masking bug is this check's error, not a crash
        return Check(name, property_id, "error", f"evidence capture failed: {_describe(exc)}")
    return Check(name, property_id, status, reason, evidence)


def _failure(call: pytest.CallInfo[None]) -> tuple[CheckStatus, str]:
    """How a raised exception is graded: only an assertion is the target's violation."""
    exc = call.excinfo.value if call.excinfo is not None else None
    if call.when != "call" or not isinstance(exc, AssertionError):
        return "error", error_reason(call.when, exc)
    reason = _headline(str(exc))
    unclaimed = grading.current().unclaimed
    if unclaimed:
        claims = ", ".join(f"claims.{name}" for name in dict.fromkeys(unclaimed))
        return "observed", f"{reason} (not claimed: {claims})"
    return "failed", reason


def error_reason(when: str, exc: BaseException | None) -> str:
    """Why a check is an error: a broken step, a hook, the transport, or the suite itself."""
    if exc is None:  # pytest reports a failure without an exception only on internal trouble
        return "failed without an exception"
    if when != "call":
        phase = {"setup": "set up", "teardown": "tear down"}.get(when, when)
        return f"could not {phase} the check: {_describe(exc)}"
    if isinstance(exc, HookError):
        return f"hook failed: {exc}"
    if isinstance(exc, httpx.HTTPError):
        return f"no usable answer from the target: {_describe(exc)}"
    return f"the suite raised {_describe(exc)} (a bug in the suite, not the target)"


def _describe(exc: BaseException) -> str:
    text = _headline(str(exc))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _headline(message: str) -> str:
    """The first line of a message, without pytest's assertion introspection."""
    return next((line for line in message.splitlines() if line.strip()), "")[:500]
