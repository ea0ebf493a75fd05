"""``quality-gates conformance URL --profile FILE``: run the suite against a login API.

Checks the profile and that the target answers first (exit 2 with every problem listed, never a
wall of failed tests), then runs the suite's tests with pytest in this process, isolated from
the current project's pytest configuration, and returns the run as one ``GateResult`` that the
main command renders like any gate's. Exit codes: 0 no check failed or errored (observations
allowed), 1 some did (or, with ``--strict``, a check observed a violation), 2 bad input or an
unreachable target, 3 a bug outside any check.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from pathlib import Path
from typing import Any

from quality_gates.conformance import properties
from quality_gates.conformance.target import open_target, probe
from quality_gates.errors import InputError
from quality_gates.result import GateResult

NAME = "conformance"
HELP = "run the black-box conformance suite against a running login API"


class SuiteCrashedError(RuntimeError):
    """pytest itself failed outside any check: a bug in the suite (exit 3)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The subcommand's own options (the global ones are added by the main parser)."""
    parser.add_argument("url", nargs="?", help="the target's base URL (default: the profile's)")
    parser.add_argument("--profile", metavar="FILE", required=True, help="target profile (TOML)")
    parser.add_argument(
        "-k", metavar="EXPR", dest="select", help="run only the checks matching EXPR"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="observations (violations of properties the profile does not claim) fail too",
    )


class _Plugin:
    """Dots on stderr while the checks run (on a terminal only), and the run's result."""

    def __init__(self) -> None:
        self.stream = sys.stderr  # taken before pytest's own stderr is held back, see run()
        self.enabled = self.stream.isatty()
        self.result: GateResult | None = None
        self.interrupted = False
        self.stopped = ""  # the message of a pytest.exit() (e.g. the target went away)

    def pytest_keyboard_interrupt(self, excinfo: Any) -> None:
        """Called for ^C and for ``pytest.exit``; only the first is an interruption."""
        self.interrupted = isinstance(excinfo.value, KeyboardInterrupt)
        self.stopped = str(getattr(excinfo.value, "msg", ""))

    def pytest_runtest_logreport(self, report: object) -> None:
        if self.enabled and getattr(report, "when", "") == "call":
            self.stream.write(".")
            self.stream.flush()

    def pytest_unconfigure(self, config: Any) -> None:
        from quality_gates.conformance.plugin import RESULT_KEY  # noqa: PLC0415 - needs pytest

        self.result = config.stash.get(RESULT_KEY, None)
        if self.enabled:
            self.stream.write("\n")


def run(args: argparse.Namespace) -> GateResult:
    """Run the suite. Bad input raises ``InputError``; a crash of pytest ``SuiteCrashedError``."""
    try:
        import pytest  # noqa: PLC0415 - only this command needs it, and pytest is optional
    except ImportError:
        raise InputError(
            "the conformance suite needs pytest: install auth-quality-gates[conformance]"
        ) from None
    target = open_target(args.url, args.profile)
    probe(target)
    # The suite's own directory is the root and the conftest boundary, so no conftest.py or
    # pytest configuration of the project the command runs in can change the verdicts. An empty
    # ini file (the null device) stops pytest from looking for one upwards.
    suite = str(Path(properties.__file__).resolve().parent)
    argv = [suite, "-c", os.devnull, "--rootdir", suite, "--confcutdir", suite]
    argv += ["-p", "no:cacheprovider", "-p", "no:terminal"]
    argv += ["--target-url", target.base_url, "--target-profile", str(Path(args.profile).resolve())]
    if args.strict:
        argv.append("--conformance-strict")
    if args.select:
        argv += ["-k", args.select]
    plugin = _Plugin()
    # pytest's own stderr lines (a bad -k, an exit message) are replaced by one clear line of
    # ours below; anything else it says is passed on.
    with contextlib.redirect_stderr(io.StringIO()) as held:
        code = pytest.main(argv, plugins=[plugin])
    bad_input = plugin.stopped or code in (
        pytest.ExitCode.USAGE_ERROR,
        pytest.ExitCode.NO_TESTS_COLLECTED,
    )
    if not bad_input:
        sys.stderr.write(held.getvalue())
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        raise InputError(f"no conformance check matches -k {args.select!r}")
    if plugin.interrupted:
        raise KeyboardInterrupt
    if plugin.stopped:  # the plugin's own exit 2: the target stopped answering before the run
        raise InputError(plugin.stopped.removeprefix("conformance: "))
    if code == pytest.ExitCode.USAGE_ERROR:
        raise InputError(f"-k {args.select!r}: not a valid selection expression")
    if plugin.result is None:
        raise SuiteCrashedError(f"pytest ended with exit code {int(code)} and no result")
    return plugin.result
