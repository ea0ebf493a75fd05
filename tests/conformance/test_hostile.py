"""Never crash, always report: the whole suite against a target whose every answer is hostile."""

from __future__ import annotations

import time
from pathlib import Path

from tests.conformance._hostile import PROFILE, hostile_target
from tests.conformance._targets import run_suite


def test_the_suite_completes_and_reports_against_a_hostile_target(tmp_path: Path) -> None:
    profile = tmp_path / "hostile.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    reports = {fmt: tmp_path / f"report.{fmt}" for fmt in ("markdown", "junit", "html")}
    started = time.monotonic()
    with hostile_target() as url:
        args = [arg for fmt, path in reports.items() for arg in ("--report", f"{fmt}={path}")]
        suite = run_suite(url, profile, {}, *args)
    elapsed = time.monotonic() - started
    assert suite.exit_code == 1, (suite.exit_code, suite.stderr[-3000:])
    assert "INTERNALERROR" not in suite.stdout + suite.stderr
    assert "Traceback" not in suite.stderr, suite.stderr[-3000:]
    for path in reports.values():
        assert path.stat().st_size > 0, path
    checks = suite.all_checks
    assert len(checks) >= 60, len(checks)
    assert "failed" in {check["status"] for check in checks}
    errors = [check["reason"] for check in checks if check["status"] == "error"]
    assert not [reason for reason in errors if "a bug in the suite" in reason], errors
    written = suite.stdout + "".join(path.read_text(encoding="utf-8") for path in reports.values())
    assert "leaked" not in written  # the password inside nested JSON is still masked
    print(f"hostile run: {len(checks)} checks in {elapsed:.1f} s")  # noqa: T201 - a measurement


def test_a_target_that_closes_every_connection_is_one_clear_error(tmp_path: Path) -> None:
    profile = tmp_path / "hostile.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    with hostile_target(close_all=True) as url:
        suite = run_suite(url, profile, {})
    assert suite.exit_code == 2, suite.stderr
    (line,) = suite.stderr.splitlines()
    assert line.startswith(f"quality-gates: error: target unreachable: {url} (RemoteProtocolError")


def test_deselected_checks_are_counted_and_a_bad_selection_is_one_line(tmp_path: Path) -> None:
    profile = tmp_path / "hostile.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    with hostile_target() as url:
        suite = run_suite(url, profile, {}, "-k", "test_logout or test_security_headers")
        bad = run_suite(url, profile, {}, "-k", "not (")
    assert (bad.exit_code, bad.stderr) == (
        2,
        "quality-gates: error: -k 'not (': not a valid selection expression\n",
    )
    counts = suite.counts
    assert len(suite.all_checks) == 3, suite.all_checks
    assert counts["deselected"] >= 50, counts
    assert f"{counts['deselected']} deselected" in suite.report["gates"][0]["summary"]
