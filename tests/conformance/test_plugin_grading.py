"""The plugin end to end: each way a check can end becomes the status the reports promise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from quality_gates.conformance.report import checks_of
from tests.conformance._hostile import PROFILE, hostile_target

CHECKS = """
import pytest
from quality_gates.conformance import grading
from quality_gates.conformance.properties._support import not_run

prop = pytest.mark.auth_property


@prop("01")
def test_holds():
    pass


@prop("27")
def test_claimed_violation():
    raise AssertionError("token still works")


@prop("10")
def test_unclaimed_violation():
    grading.current().unclaimed.append("identifier_canonicalisation")
    raise AssertionError("two accounts")


@prop("44")
def test_suite_bug():
    return None + 1


@prop("15")
def test_locked_out():
    not_run("client-wide lockout after 5 failures")


@prop("46")
def test_needs_a_value():
    pytest.skip("needs claims.max_body_bytes")


@pytest.fixture
def broken():
    raise ValueError("fixture broke")


@prop("55")
def test_setup_fails(broken):
    pass
"""


def _run(tmp_path: Path, source: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run ``source`` as conformance checks against the hostile target; the JSON report's path."""
    (tmp_path / "test_checks.py").write_text(source, encoding="utf-8")
    profile = tmp_path / "hostile.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    report = tmp_path / "report.json"
    with hostile_target() as url:
        options = ["-c", os.devnull, "--rootdir", str(tmp_path), "-p", "no:cacheprovider"]
        target = ["--target-url", url, "--target-profile", str(profile)]
        output = ["--conformance-report", f"json={report}"]
        done = subprocess.run(  # noqa: S603 - our own command line
            [sys.executable, "-m", "pytest", str(tmp_path), *options, *target, *output],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert report.is_file(), done.stdout[-2000:]
    return done, report


def test_every_outcome_gets_its_status(tmp_path: Path) -> None:
    done, report = _run(tmp_path, CHECKS)
    checks = checks_of(json.loads(report.read_text(encoding="utf-8")))
    statuses = {check["check"]: (check["status"], check["reason"]) for check in checks}
    assert statuses == {
        "test_holds": ("passed", ""),
        "test_claimed_violation": ("failed", "token still works"),
        "test_unclaimed_violation": (
            "observed",
            "two accounts (not claimed: claims.identifier_canonicalisation)",
        ),
        "test_suite_bug": (
            "error",
            "the suite raised TypeError: unsupported operand type(s) for +: 'NoneType' and 'int' "
            "(a bug in the suite, not the target)",
        ),
        "test_locked_out": ("not-run", "client-wide lockout after 5 failures"),
        "test_needs_a_value": ("skipped", "needs claims.max_body_bytes"),
        "test_setup_fails": ("error", "could not set up the check: ValueError: fixture broke"),
    }
    assert "* conformance hostile: failed (7 checks: 1 passed, 1 failed, 1 observed" in done.stdout


def test_a_bug_building_the_report_still_writes_it(tmp_path: Path) -> None:
    unknown = CHECKS.replace('@prop("27")', '@prop("99")')  # a failing check of no property
    _, report = _run(tmp_path, unknown)
    (gate,) = json.loads(report.read_text(encoding="utf-8"))["gates"]
    assert (gate["status"], gate["internal"]) == ("error", True)
    assert gate["reason"].startswith("internal error: could not build the report: KeyError")
    assert gate["reason"].endswith("no property '99' in the catalogue\"")
