"""``quality-gates conformance URL --profile FILE``: run the suite against a login API.

Checks the profile and that the target answers first (exit 2 with every problem listed, never a
wall of failed tests), then runs the suite's tests with pytest in this process, isolated from
the current project's pytest configuration, and prints the report. Exit codes: 0 every claimed
property passed, 1 some failed, 2 bad input or unreachable target, 3 internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from quality_gates.conformance import properties, report
from quality_gates.conformance.target import open_target, probe
from quality_gates.errors import InputError
from quality_gates.result import EXIT_FAIL, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_PASS

NAME = "conformance"
HELP = "run the black-box conformance suite against a running login API"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The subcommand's own options (the global ones are added by the main parser)."""
    parser.add_argument("url", nargs="?", help="the target's base URL (default: the profile's)")
    parser.add_argument("--profile", metavar="FILE", required=True, help="target profile (TOML)")
    parser.add_argument(
        "-k", metavar="EXPR", dest="select", help="run only the checks matching EXPR"
    )


class _Progress:
    """Dots on stderr while the checks run, on a terminal only (quiet in CI)."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()

    def pytest_runtest_logreport(self, report: object) -> None:
        if self.enabled and getattr(report, "when", "") == "call":
            sys.stderr.write(".")
            sys.stderr.flush()

    def pytest_sessionfinish(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def run(args: argparse.Namespace) -> int:
    """Run the suite; returns the exit code. Bad input raises ``InputError``."""
    try:
        import pytest  # noqa: PLC0415 - only this command needs it
    except ImportError:
        raise InputError("the conformance suite needs pytest: pip install pytest") from None
    target = open_target(args.url, args.profile)
    probe(target)
    with tempfile.TemporaryDirectory(prefix="qg-conformance-") as tmp:
        results = Path(tmp) / "results.json"
        ini = Path(tmp) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        # The suite's own directory is the root and the conftest boundary, so no conftest.py or
        # pytest configuration of the project the command runs in can change the verdicts.
        suite = str(Path(properties.__file__).resolve().parent)
        argv = [
            suite,
            "-c",
            str(ini),
            "--rootdir",
            suite,
            "--confcutdir",
            suite,
            "-p",
            "no:cacheprovider",
            "-p",
            "no:terminal",
            "--target-url",
            target.base_url,
            "--target-profile",
            str(Path(args.profile).resolve()),
            "--conformance-report",
            f"json={results}",
        ]
        if args.select:
            argv += ["-k", args.select]
        code = pytest.main(argv, plugins=[_Progress()])
        if code == pytest.ExitCode.NO_TESTS_COLLECTED:
            raise InputError(f"no conformance check matches -k {args.select!r}")
        if code == pytest.ExitCode.INTERNAL_ERROR:
            return EXIT_INTERNAL
        if not results.is_file():
            return EXIT_INPUT if code != pytest.ExitCode.INTERRUPTED else EXIT_INTERRUPTED
        verdicts, requests = report.load_json(results.read_text(encoding="utf-8"))
    _emit(verdicts, args, target.profile.name, requests)
    failed = any(verdict.status in ("fail", "error") for verdict in verdicts)
    return EXIT_FAIL if failed else EXIT_PASS


def _emit(
    verdicts: list[report.Verdict], args: argparse.Namespace, name: str, requests: int
) -> None:
    for fmt, path in getattr(args, "report", []):
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # GitHub's job summary file is shared by the step's commands: append, never truncate.
            append = os.environ.get("GITHUB_STEP_SUMMARY") == path
            with target.open("a" if append else "w", encoding="utf-8") as stream:
                stream.write(report.render(verdicts, fmt, name, requests))
        except OSError as exc:
            raise InputError(f"--report {fmt}={path}: cannot write: {exc.strerror}") from None
    if getattr(args, "quiet", False):
        sys.stdout.write(report.summary_line(verdicts, name, requests) + "\n")
    else:
        sys.stdout.write(report.render(verdicts, getattr(args, "format", "text"), name, requests))
