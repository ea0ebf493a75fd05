"""The pytest plugin of the conformance suite (entry point ``pytest11``: quality_gates_conformance).

It is inert unless ``--target-url`` or ``--target-profile`` is given: it then only adds its
options and registers the ``auth_property`` marker, so it can stay installed in any project.
With a target, it loads the profile (every problem listed, exit 2), checks that the target
answers (exit 2 when it does not), gives the suite's tests their ``target``, collects one
verdict per test with its evidence, prints a one-line summary and writes the reports asked for
with ``--conformance-report FORMAT=PATH`` (markdown, junit, json). Run the suite with::

    pytest --pyargs quality_gates.conformance.properties --target-profile FILE [--target-url URL]
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from quality_gates.conformance import report
from quality_gates.conformance.evidence import EvidenceLog
from quality_gates.conformance.hooks import HookError
from quality_gates.conformance.target import Target, open_target, probe
from quality_gates.errors import InputError

MARKER = "auth_property"
EXIT_INPUT = 2
TARGET_KEY = pytest.StashKey[Target]()
LOG_KEY = pytest.StashKey[EvidenceLog]()
VERDICTS_KEY = pytest.StashKey[list[report.Verdict]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--target-url``, ``--target-profile`` and ``--conformance-report``."""
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
        help=f"write a report: FORMAT one of {', '.join(report.FORMATS)}; repeatable",
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
    config.stash[VERDICTS_KEY] = []
    config.pluginmanager.register(_Collector(config, specs), "quality_gates_conformance_run")


def _report_spec(value: str) -> tuple[str, Path]:
    fmt, sep, path = value.partition("=")
    if not sep or fmt not in report.FORMATS or not path:
        raise InputError(
            f"--conformance-report {value!r}: expected FORMAT=PATH, FORMAT one of "
            + ", ".join(report.FORMATS)
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

    def pytest_sessionstart(self) -> None:
        try:
            probe(self.target)
        except InputError as exc:
            pytest.exit("conformance: " + "; ".join(exc.problems), EXIT_INPUT)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        test_report = yield
        marker = item.get_closest_marker(MARKER)
        if marker is None or not marker.args:
            return test_report
        test_report.user_properties.append(("property", str(marker.args[0])))
        log = item.stash.get(LOG_KEY, None)
        if log is not None and log.exchanges:
            test_report.user_properties.append(("evidence", log.render()))
        if call.excinfo is not None and call.excinfo.errisinstance(HookError):
            test_report.user_properties.append(("hook_error", "1"))
        return test_report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        verdict = _verdict(report)
        if verdict is not None:
            self.config.stash[VERDICTS_KEY].append(verdict)

    def pytest_sessionfinish(self) -> None:
        verdicts = self.config.stash[VERDICTS_KEY]
        self.target.connection.close()
        for fmt, path in self.specs:
            path.parent.mkdir(parents=True, exist_ok=True)
            text = report.render(
                verdicts, fmt, self.target.profile.name, self.target.connection.requests
            )
            path.write_text(text, encoding="utf-8")

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        verdicts = self.config.stash[VERDICTS_KEY]
        line = report.summary_line(
            verdicts, self.target.profile.name, self.target.connection.requests
        )
        terminalreporter.write_sep("=", "conformance")
        terminalreporter.write_line(line)


def _verdict(test_report: pytest.TestReport) -> report.Verdict | None:
    """The verdict a report decides, or ``None`` for the phases that decide nothing."""
    props = dict(test_report.user_properties)
    property_id = props.get("property")
    if not isinstance(property_id, str):
        return None
    evidence = str(props.get("evidence", ""))
    name = test_report.nodeid.rpartition("::")[2]
    if test_report.skipped:
        longrepr = test_report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        return report.Verdict(property_id, name, "skipped", reason.removeprefix("Skipped: "))
    if test_report.when == "call" and test_report.passed:
        return report.Verdict(property_id, name, "pass", "", evidence)
    if test_report.failed:
        crash = getattr(test_report.longrepr, "reprcrash", None)
        message = crash.message if crash is not None else str(test_report.longrepr)
        broken = test_report.when != "call" or "hook_error" in props
        status: report.Status = "error" if broken else "fail"
        return report.Verdict(property_id, name, status, _headline(message), evidence)
    return None


def _headline(message: str) -> str:
    """The first line of a failure: the test's own message, without pytest's introspection."""
    first = next((line for line in message.splitlines() if line.strip()), "")
    return first.removeprefix("AssertionError: ")
