"""The coverage gate, on real repositories measured by a real ``coverage run``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.gates._repo import CLI, GitRepo, assert_golden, normalise
from tests.gates._scenarios import LOGIN_V1, LOGIN_V2, RUN, UTIL, measure

PYPROJECT = """\
[tool.coverage.run]
branch = true
relative_files = true
source = ["app"]

[tool.quality_gates]
critical_paths = ["app/auth/**"]

[tool.quality_gates.coverage]
fail_under = 50
critical_fail_under = 50
changed_fail_under = 50
"""


@pytest.fixture
def project(repo: GitRepo) -> GitRepo:
    """main: a small app; feature: a new, untested branch in a critical file."""
    repo.write(".gitignore", ".coverage\n.coverage.*\n__pycache__/\n")
    repo.write("pyproject.toml", PYPROJECT)
    repo.write("app/__init__.py", "")
    repo.write("app/auth/__init__.py", "")
    repo.write("app/auth/login.py", LOGIN_V1)
    repo.write("app/util.py", UTIL)
    repo.write("tests/__init__.py", "")
    repo.write("tests/run.py", RUN)
    repo.commit("base")
    repo.publish_main()
    repo.write("app/auth/login.py", LOGIN_V2)
    repo.commit("legacy passwords")
    return repo


def test_every_uncovered_changed_critical_line_is_a_finding(cli: CLI, project: GitRepo) -> None:
    measure(project)
    result = cli("coverage")
    assert result.code == 1
    assert_golden("coverage_critical_lines.txt", normalise(result.out, project))


def test_covered_change_passes(cli: CLI, project: GitRepo) -> None:
    project.write("tests/run.py", RUN + 'check("legacy")\n')
    measure(project)
    result = cli("coverage", "--format", "json")
    assert result.code == 0, result.out
    gate = json.loads(result.out)["gates"][0]
    assert gate["metrics"]["critical_changed_lines_measured"] == 2
    assert gate["metrics"]["critical_changed_lines_covered"] == 2
    assert gate["metrics"]["critical_percent[app/auth/**]"] == 100.0


def test_other_changed_lines_have_a_pooled_floor(cli: CLI, project: GitRepo) -> None:
    project.write("app/util.py", UTIL + "\n\ndef unused(a):\n    return a * 2\n")
    project.write("tests/run.py", RUN + 'check("legacy")\n')
    project.commit("util")
    measure(project)
    passing = cli("coverage")  # 1 of 2 changed lines covered: 50% meets the floor of 50
    assert passing.code == 0, passing.out
    assert "warning app/util.py:10 [uncovered-changed-line]" in passing.out
    failing = cli("coverage", "--changed-fail-under", "100")
    assert failing.code == 1
    assert "other changed lines: 50.00% < 100%" in failing.out


def test_flags_override_the_policy(cli: CLI, project: GitRepo) -> None:
    project.write("tests/run.py", RUN + 'check("legacy")\n')
    measure(project)
    assert cli("coverage").code == 0
    result = cli("coverage", "--coverage-fail-under", "99.5")
    assert result.code == 1
    assert "[total-below]" in result.out


def test_changed_file_without_data_fails_with_the_reason(cli: CLI, project: GitRepo) -> None:
    project.write("scripts/deploy.py", "def deploy():\n    return 1\n")
    project.write("tests/run.py", RUN + 'check("legacy")\n')
    project.commit("a script outside [tool.coverage.run] source")
    measure(project)
    result = cli("coverage")
    assert result.code == 1
    assert "scripts/deploy.py [no-coverage-data] changed, but has no coverage data" in result.out
    assert (
        "nothing in scripts/ was measured: it is outside [tool.coverage.run] source" in result.out
    )


def test_path_mapping_problem_is_diagnosed(cli: CLI, project: GitRepo, tmp_path: Path) -> None:
    elsewhere = tmp_path / "ci-checkout"
    shutil.copytree(project.path, elsewhere, ignore=shutil.ignore_patterns(".git"))
    config = (elsewhere / "pyproject.toml").read_text().replace("relative_files = true", "")
    (elsewhere / "pyproject.toml").write_text(config)
    measure(_at(elsewhere))
    shutil.copy(elsewhere / ".coverage", project.path / ".coverage")
    shutil.rmtree(elsewhere)
    result = cli("coverage")
    assert result.code == 1
    assert "do not match this checkout" in result.out
    assert "relative_files = true" in result.out


def _at(path: Path) -> GitRepo:
    repo = GitRepo.__new__(GitRepo)
    repo.path = path
    return repo


def test_test_files_need_no_coverage_data(cli: CLI, project: GitRepo) -> None:
    project.write("tests/test_login.py", "def test_x():\n    assert True\n")
    project.write("tests/run.py", RUN + 'check("legacy")\n')
    project.commit("tests")
    measure(project)
    assert cli("coverage").code == 0


def test_branch_coverage_must_be_measured(cli: CLI, project: GitRepo) -> None:
    project.write("pyproject.toml", PYPROJECT.replace("branch = true", "branch = false"))
    project.write("tests/run.py", RUN + 'check("legacy")\n')
    project.commit("no branch")
    measure(project)
    result = cli("coverage")
    assert result.code == 1
    assert "branch coverage was not measured" in result.out


def test_no_change_judges_totals_only(cli: CLI, project: GitRepo) -> None:
    project.git("update-ref", "refs/remotes/origin/main", "HEAD")
    measure(project)
    result = cli("coverage")
    assert result.code == 0
    assert "no changed Python lines" in result.out


def test_missing_baseline_ref_falls_back_and_says_so(cli: CLI, project: GitRepo) -> None:
    project.git("update-ref", "-d", "refs/remotes/origin/main")
    measure(project)
    result = cli("coverage", "--format", "json")
    gate = json.loads(result.out)["gates"][0]
    assert gate["findings"][0]["rule_id"] == "baseline-fallback"
    assert "baseline ref 'origin/main' not found" in gate["findings"][0]["message"]
    assert gate["metrics"]["baseline"].startswith("HEAD~1")
    assert result.code == 1  # the fallback diff still holds the untested lines


def test_missing_data_file_is_bad_input(cli: CLI, project: GitRepo) -> None:
    result = cli("coverage")
    assert result.code == 2
    assert "coverage data" in result.err
    assert "not found; run the tests under coverage first" in result.err
    assert "Traceback" not in result.err


def test_parallel_data_files_need_combine(cli: CLI, project: GitRepo) -> None:
    measure(project)
    (project.path / ".coverage").rename(project.path / ".coverage.host.1234")
    result = cli("coverage")
    assert result.code == 2
    assert "coverage combine" in result.err


def test_corrupt_data_file_is_bad_input(cli: CLI, project: GitRepo) -> None:
    project.write(".coverage", "this is not a coverage database\n")
    result = cli("coverage")
    assert result.code == 2
    assert "unreadable" in result.err
    assert "Traceback" not in result.err
