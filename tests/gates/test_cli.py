"""The command line: exit codes, global options, bad input, errors, interrupts."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from quality_gates.errors import InputError
from quality_gates.gates import incidents
from tests.gates._repo import CLI, GitRepo


@pytest.fixture
def committed(repo: GitRepo) -> GitRepo:
    """A repository with one commit and no policy."""
    repo.write("README.md", "hello\n")
    repo.commit("base")
    return repo


def test_help_and_version(cli: CLI) -> None:
    result = cli("--help")
    assert result.code == 0
    assert (
        "Exit codes: 0 passed, 1 a gate failed, 2 usage or bad input, 3 internal error."
        in result.out
    )
    version = cli("--version")
    assert version.code == 0
    assert version.out.startswith("quality-gates ")


def test_module_entry_point() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "quality_gates", "nope"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 2
    assert "invalid choice: 'nope'" in completed.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "the following arguments are required: COMMAND"),
        (("run", "--report", "pdf=out.pdf"), "expected FORMAT=PATH"),
        (("coverage", "--fail-under", "high"), "expected a number 0-100, got 'high'"),
        (("checklist", "--min-approvals", "-1"), "expected an integer >= 0"),
        (("run", "--skip", "nope"), "invalid choice"),
    ],
)
def test_usage_errors_exit_2(cli: CLI, argv: tuple[str, ...], message: str) -> None:
    result = cli(*argv)
    assert result.code == 2
    assert message in result.err


def test_not_a_git_repository(cli: CLI, tmp_path: Path) -> None:
    result = cli("--repo", str(tmp_path), "run")
    assert result.code == 2
    assert result.err.strip() == f"quality-gates: error: --repo {tmp_path}: not a git work tree"


def test_subdirectory_is_not_the_top_level(cli: CLI, committed: GitRepo) -> None:
    (committed.path / "sub").mkdir()
    result = cli("--repo", str(committed.path / "sub"), "run")
    assert result.code == 2
    assert "not the top level of its git work tree" in result.err


def test_invalid_toml(cli: CLI, committed: GitRepo) -> None:
    committed.write("pyproject.toml", "[tool.quality_gates\n")
    result = cli("run")
    assert result.code == 2
    assert result.err.startswith("quality-gates: error: pyproject.toml: invalid TOML:")
    assert "Traceback" not in result.err


def test_every_policy_problem_is_listed(cli: CLI, committed: GitRepo) -> None:
    committed.write(
        "pyproject.toml",
        """\
        [tool.quality_gates]
        baseline_fallback = "HEAD~2"
        critical_paths = "authsvc/**"
        gates = ["coverage", "mutants"]

        [tool.quality_gates.coverage]
        fail_under = "high"
        critical_changed_fail_under = 101

        [tool.quality_gates.checklist]
        min_approvals = -1
        items = [{ id = "Threat Model", text = "" }, { id = "tests" }]

        [tool.quality_gates.api_compat]
        command = []
        """,
    )
    result = cli("run")
    assert result.code == 2
    assert result.out == ""
    assert result.err.splitlines() == [
        "quality-gates: error: tool.quality_gates.baseline_fallback: expected one of "
        '"HEAD~1", "none", "error", got "HEAD~2"',
        "quality-gates: error: tool.quality_gates.critical_paths: expected a list of non-empty "
        'strings, got "authsvc/**"',
        "quality-gates: error: tool.quality_gates.gates: unknown gate 'mutants' (known: "
        "checklist, coverage, api-compat, incidents, behaviour, mutation, replay, canary)",
        "quality-gates: error: tool.quality_gates.checklist.min_approvals: expected an integer "
        ">= 0, got -1",
        "quality-gates: error: tool.quality_gates.checklist.items[0].text: expected a non-empty "
        'string, got ""',
        "quality-gates: error: tool.quality_gates.checklist.items[0].id: expected lower-case "
        "letters, digits, '-' or '_', got 'Threat Model'",
        "quality-gates: error: tool.quality_gates.checklist.items[1].text: missing (required)",
        "quality-gates: error: tool.quality_gates.coverage.fail_under: expected a number 0-100, "
        'got "high"',
        "quality-gates: error: tool.quality_gates.coverage.critical_changed_fail_under: expected "
        "a number 0-100, got 101",
        "quality-gates: error: tool.quality_gates.api_compat.command: expected a command: a "
        "non-empty list of strings or a string, got []",
    ]


def test_internal_error_is_exit_3_and_other_gates_still_run(
    cli: CLI, committed: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(ctx: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(incidents, "run", boom)
    result = cli("run", "--format", "json")
    assert result.code == 3
    gates = {gate["gate"]: gate for gate in json.loads(result.out)["gates"]}
    assert gates["incidents"]["status"] == "error"
    assert gates["incidents"]["internal"] is True
    assert gates["incidents"]["reason"] == "internal error: ZeroDivisionError: a bug"
    assert gates["api-compat"]["status"] == "skipped"
    assert "Traceback" in result.err  # a bug report needs it


def test_bad_input_in_one_gate_is_exit_2_in_run(
    cli: CLI, committed: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bad(ctx: object) -> None:
        raise InputError(["first problem", "second problem"])

    monkeypatch.setattr(incidents, "run", bad)
    result = cli("run", "--skip", "coverage")
    assert result.code == 2
    assert "* incidents: error (2 problems)" in result.out
    assert result.err.splitlines() == [
        "quality-gates: incidents: first problem",
        "quality-gates: incidents: second problem",
    ]


def test_keyboard_interrupt_is_130(
    cli: CLI, committed: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(ctx: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(incidents, "run", interrupted)
    result = cli("incidents")
    assert result.code == 130
    assert "interrupted" in result.err


def test_reports_in_every_format_and_quiet(cli: CLI, committed: GitRepo) -> None:
    reports = committed.path.parent / "reports"
    args = [
        f"--report={fmt}={reports / ('out.' + fmt)}"
        for fmt in ("json", "markdown", "junit", "html", "text")
    ]
    result = cli("run", "--quiet", *args, "--skip", "coverage")
    assert result.code == 0
    assert result.out == "Verdict: passed (0 passed, 0 failed, 0 error, 4 skipped)\n"
    document = json.loads((reports / "out.json").read_text())
    assert document["schema"] == "quality-gates/1"
    assert [gate["gate"] for gate in document["gates"]] == [
        "checklist",
        "coverage",
        "api-compat",
        "incidents",
    ]
    suite = ET.parse(reports / "out.junit").getroot().find("testsuite")  # noqa: S314 - ours
    assert suite is not None
    assert suite.get("tests") == "4"
    assert suite.get("skipped") == "4"
    html = (reports / "out.html").read_text()
    assert "<h1>Passed, but nothing was checked: every gate skipped.</h1>" in html
    assert (reports / "out.markdown").read_text().startswith("## ✅ Quality gates: passed")


def test_global_options_after_the_subcommand(cli: CLI, committed: GitRepo) -> None:
    result = cli("incidents", "--format", "json")
    assert json.loads(result.out)["gates"][0]["status"] == "skipped"


def test_unwritable_report_is_bad_input(cli: CLI, committed: GitRepo) -> None:
    blocker = committed.write("file", "x")
    result = cli("incidents", f"--report=json={blocker}/out.json")
    assert result.code == 2
    assert "cannot write" in result.err


def test_job_summary_is_appended(
    cli: CLI, committed: GitRepo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("# Earlier output of this step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert cli("incidents", f"--report=markdown={summary}").code == 0
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# Earlier output of this step\n## ✅ Quality gates: passed")
