"""Fixtures of the bug zoo's tests: a throw-away repository with a zoo, the CLI in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from bugzoo.cli import main
from tests.bugzoo._zoo import Zoo
from tests.gates._repo import CLI, GitRepo, Run


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """A repository with one committed file, ``app.py``."""
    repo = GitRepo(tmp_path / "repo")
    repo.write("app.py", "def greet():\n    return 'hello'\n")
    repo.commit("initial")
    return repo


@pytest.fixture
def zoo(tmp_path: Path, repo: GitRepo) -> Zoo:
    """An empty zoo directory for ``repo``."""
    return Zoo(tmp_path / "zoo", repo)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], repo: GitRepo, zoo: Zoo) -> CLI:
    """Run ``python -m bugzoo`` in-process; ``--repo`` and ``--patches`` are added to the
    commands that take them unless given."""

    def run(*argv: str) -> Run:
        args = list(argv)
        if args and args[0] in ("run", "check", "demo"):
            if "--repo" not in args:
                args += ["--repo", str(repo.path)]
            if "--patches" not in args:
                args += ["--patches", str(zoo.path)]
        code = main(args)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
