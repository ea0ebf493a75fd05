"""The catch matrix and the verdict, from result files (``python -m bugzoo matrix``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bugzoo.results import ZooRun, judge
from tests.bugzoo._zoo import GOLDEN, patch_result, zoo_run
from tests.gates._repo import CLI, assert_golden


def _write(run: ZooRun, tmp_path: Path) -> str:
    path = tmp_path / "bugzoo.json"
    path.write_text(json.dumps(run.to_dict(), indent=2), encoding="utf-8")
    return str(path)


def _mixed_run() -> ZooRun:
    return zoo_run(
        patch_result(
            "pbkdf2-dropped",
            "bug",
            {"tests": "fail", "incidents": "fail", "replay": "fail"},
            expected=["tests", "replay"],
        ),
        patch_result(
            "logout-keeps-session",
            "bug",
            {"tests": "fail", "replay": "error"},
            expected=["tests", "coverage"],
        ),
        patch_result("rename-helpers", "benign", {"api-compat": "skipped"}),
    )


def test_matrix_golden(cli: CLI, tmp_path: Path) -> None:
    """Every section: verdict, both tables, who it hits, warnings, each stage's reason."""
    output = tmp_path / "catch-matrix.md"
    result = cli("matrix", _write(_mixed_run(), tmp_path), "--output", str(output))
    assert result.code == 0, result.err
    assert_golden("catch-matrix.md", output.read_text(encoding="utf-8"), GOLDEN)


def test_matrix_to_stdout_round_trips(cli: CLI, tmp_path: Path) -> None:
    """Without --output the matrix is printed; a result file reads back to the same run."""
    run = _mixed_run()
    result = cli("matrix", _write(run, tmp_path))
    assert result.code == 0
    assert result.out == (GOLDEN / "catch-matrix.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("patch", "problem"),
    [
        (
            patch_result("slipped", "bug", {"replay": "error"}, expected=["replay"]),
            "slipped: buggy patch got through: no stage blocked it (replay could not judge it)",
        ),
        (
            patch_result("clean-bug", "bug", {}, expected=["tests"]),
            "clean-bug: buggy patch got through: no stage blocked it",
        ),
        (
            patch_result("noisy", "benign", {"coverage": "fail"}),
            "noisy: benign patch blocked: coverage failed: coverage found it",
        ),
        (
            patch_result("flaky", "benign", {"replay": "error"}),
            "flaky: benign patch blocked: replay errored: it broke",
        ),
    ],
)
def test_verdict_rules(cli: CLI, tmp_path: Path, patch: object, problem: str) -> None:
    """A bug through, or a benign patch stopped (by a failure or an error): exit 1."""
    assert hasattr(patch, "spec")
    blocked = patch_result("caught", "bug", {"tests": "fail"}, expected=["tests"])
    run = zoo_run(blocked, patch)  # type: ignore[arg-type]
    result = cli("matrix", _write(run, tmp_path))
    assert result.code == 1
    assert judge(run).problems == (problem,)
    assert "**Verdict: failed.**" in result.out
    assert f"- {problem}" in result.out


def test_expected_and_actual_differences_are_warnings(tmp_path: Path) -> None:
    """Blocked, but by other stages than the metadata says: warned, not failed."""
    run = zoo_run(patch_result("other", "bug", {"api-compat": "fail"}, expected=["tests"]))
    verdict = judge(run)
    assert verdict.exit_code == 0
    assert verdict.warnings == (
        "other: expected tests to block it; they did not",
        "other: also blocked by api-compat (not expected)",
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "cannot read a result file"),
        ('{"schema": "other/1"}', "not a bug zoo result file (schema bugzoo/1)"),
        (
            '{"schema": "bugzoo/1", "base": "x", "command": "c", "seconds": 1, "stages": [],'
            ' "settings": {}, "patches": [{"slug": "a", "patch": "a.patch"}]}',
            "patches[0] (a): title: missing",
        ),
    ],
)
def test_bad_result_files(cli: CLI, tmp_path: Path, content: str, message: str) -> None:
    """A result file that is not one: exit 2, one line, no traceback."""
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    result = cli("matrix", str(path))
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err
