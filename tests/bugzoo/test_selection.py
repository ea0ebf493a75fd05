"""The tests stage's selection: a patch runs the tests that execute what it changes."""

from __future__ import annotations

from pathlib import Path

from bugzoo import selection
from quality_gates.testmap.store import TestMap
from tests.gates._repo import GitRepo

MAP = TestMap(
    "k",
    {
        "app.py": frozenset({"tests/unit/test_app.py::test_greet"}),
        "other.py": frozenset({"tests/unit/test_other.py::test_it"}),
    },
)
GUARD = 'import pytest\n\n@pytest.mark.incident("INC-1")\ndef test_guard():\n    assert True\n'


def _patched(repo: GitRepo, path: str, text: str) -> tuple[Path, str]:
    """``repo`` with the tests and a guard committed as the base, then ``path`` changed."""
    repo.write("tests/unit/test_app.py", "def test_greet():\n    assert True\n")
    repo.write("tests/unit/test_other.py", "def test_it():\n    assert True\n")
    repo.write("tests/unit/test_guard.py", GUARD)
    repo.write("tests/gates/test_far.py", "def test_far():\n    assert True\n")
    base = repo.commit("base")
    repo.write(path, text)
    repo.commit("patch")
    return repo.path, base


def test_a_patch_runs_the_tests_of_its_file_and_the_guards(repo: GitRepo) -> None:
    worktree, base = _patched(repo, "app.py", "def greet():\n    return 'hi'\n")
    tests, reason = selection.tests_for(worktree, base, ("tests/unit",), MAP)
    assert tests == ("tests/unit/test_app.py::test_greet", "tests/unit/test_guard.py::test_guard")
    assert reason.startswith("1 test(s) execute the changed code")


def test_edited_tests_outside_the_stage_s_paths_stay_out(repo: GitRepo) -> None:
    worktree, base = _patched(repo, "tests/gates/test_far.py", "def test_far():\n    pass\n")
    tests, _ = selection.tests_for(worktree, base, ("tests/unit",), MAP)
    assert tests == ("tests/unit/test_guard.py::test_guard",)


def test_the_whole_stage_runs_when_the_map_cannot_answer(repo: GitRepo) -> None:
    worktree, base = _patched(repo, "tests/unit/conftest.py", "X = 1\n")
    assert selection.tests_for(worktree, base, ("tests/unit",), MAP) == (("tests/unit",), "")
    worktree, base = _patched(repo, "app.py", "def greet():\n    return 'hey'\n")
    assert selection.tests_for(worktree, base, ("tests/unit",), None) == (("tests/unit",), "")
    assert selection.tests_for(worktree, base, ("tests/unit", "-k", "greet"), MAP)[1] == ""
