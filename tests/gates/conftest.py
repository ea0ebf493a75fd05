"""Fixtures for the gate tests: real git repositories in tmp_path, and the CLI run in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from quality_gates.cli import main
from tests.gates._replay import Clone
from tests.gates._repo import CLI, GitRepo, Run


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """An empty repository on branch main."""
    return GitRepo(tmp_path / "repo")


@pytest.fixture(autouse=True)
def _no_ci_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests must not see the CI run they may be part of."""
    for name in ("GITHUB_EVENT_PATH", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], repo: GitRepo) -> CLI:
    """Run ``quality-gates`` in-process on ``repo``; ``--repo`` is added unless given."""

    def run(*argv: str) -> Run:
        args = list(argv) if "--repo" in argv else ["--repo", str(repo.path), *argv]
        code = main(args)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def replay_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the whole session: the environments are built once."""
    return tmp_path_factory.mktemp("replay-cache")


@pytest.fixture
def clone(tmp_path: Path) -> Clone:
    """A fresh clone of this repository on branch ``candidate``."""
    return Clone(tmp_path / "clone")
