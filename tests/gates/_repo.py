"""Helpers of the gate tests: real git repositories, CLI results, golden files."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


class GitRepo:
    """A throw-away git repository with deterministic commits (fixed identity and dates)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tick = 0
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        """Run git in the repository and return its stdout."""
        self._tick += 1
        stamp = f"2024-05-25T10:{self._tick // 60:02d}:{self._tick % 60:02d}+00:00"
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "Test Author",
            "GIT_AUTHOR_EMAIL": "author@example.com",
            "GIT_COMMITTER_NAME": "Test Author",
            "GIT_COMMITTER_EMAIL": "author@example.com",
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_DATE": stamp,
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.path.parent),
        }
        completed = subprocess.run(  # noqa: S603 - test helper, fixed executable
            ["git", "-C", str(self.path), *args],  # noqa: S607 - git from PATH, as users run it
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        return completed.stdout

    def write(self, relative: str, content: str) -> Path:
        """Write a file (dedented), creating folders."""
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(content), encoding="utf-8")
        return target

    def write_json(self, relative: str, data: object) -> Path:
        """Write a JSON file."""
        return self.write(relative, json.dumps(data, indent=2) + "\n")

    def commit(self, message: str = "change") -> str:
        """Stage everything and commit; return the commit id."""
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def publish_main(self) -> None:
        """Make the current commit ``origin/main``, then branch off to ``feature``."""
        self.git("update-ref", "refs/remotes/origin/main", "HEAD")
        self.git("checkout", "-q", "-b", "feature")


@dataclass
class Run:
    """The outcome of one in-process CLI run."""

    code: int
    out: str
    err: str


CLI = Callable[..., Run]


def normalise(text: str, repo: GitRepo) -> str:
    """Replace the temporary paths by placeholders, for golden files."""
    return text.replace(str(repo.path.resolve()), "<repo>").replace(str(repo.path), "<repo>")


def assert_golden(name: str, actual: str, golden: Path = GOLDEN) -> None:
    """Compare with NAME in ``golden`` (tests/gates/golden/); UPDATE_GOLDEN=1 rewrites it."""
    path = golden / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert path.is_file(), f"missing golden file {path} (run with UPDATE_GOLDEN=1)"
    assert actual == path.read_text(encoding="utf-8")
