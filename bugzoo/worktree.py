"""Temporary git worktrees, and patches applied and committed in them.

Each patch gets a worktree of the baseline commit under the system's temporary directory,
detached (no branch is created, so nothing is left behind in the repository's refs), removed
afterwards whatever happened. The patch is applied with ``git apply --index``, then with
``--3way`` when the plain apply fails (small upstream drift is tolerated), and committed, so
every gate sees the update as a diff from the baseline.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from bugzoo import proc
from bugzoo.metadata import ZooInputError

_admin = threading.Lock()


class PatchApplyError(ZooInputError):
    """A patch that neither ``git apply`` nor ``git apply --3way`` can apply (exit 2)."""


def _git_or_fail(repo: Path, *args: str) -> str:
    done = proc.git(repo, *args)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise ZooInputError(f"git {' '.join(args)} failed in {repo}: {' '.join(detail[-3:])}")
    return done.stdout.strip()


def resolve_commit(repo: Path, ref: str = "HEAD") -> str:
    """The full commit id of ``ref`` in ``repo``; bad input when it is not a git repository."""
    return _git_or_fail(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")


def top_level(path: Path) -> Path:
    """The top of the git work tree that contains ``path``."""
    return Path(_git_or_fail(path, "rev-parse", "--show-toplevel"))


@contextlib.contextmanager
def temporary_worktree(repo: Path, commit: str, label: str) -> Iterator[Path]:
    """A detached worktree of ``commit``; removed (and pruned) on exit.

    git names a worktree's administrative directory after the last part of its path, so every
    path ends in a name of its own (two worktrees added at once under one name collide), and
    this process adds and removes one worktree at a time.
    """
    path = Path(tempfile.mkdtemp(prefix=f"bugzoo-{label}-"))
    try:
        with _admin:
            _git_or_fail(repo, "worktree", "add", "--detach", "--quiet", str(path), commit)
        yield path
    finally:
        with _admin:
            proc.git(repo, "worktree", "remove", "--force", str(path), cleanup=True)
            shutil.rmtree(path, ignore_errors=True)
            proc.git(repo, "worktree", "prune", cleanup=True)


def _describe(stderr: str) -> str:
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    return "; ".join(lines[:4]) or "git apply failed"


def apply_patch(worktree: Path, patch: Path, *, check: bool = False) -> str:
    """Apply ``patch`` to the index and files of ``worktree``: ``"clean"`` or ``"3way"``.

    With ``check``, only find out whether it would apply (nothing is changed). Raises
    :class:`PatchApplyError` with git's reasons for both attempts.
    """
    first = proc.git(worktree, "apply", "--index", *(["--check"] if check else []), str(patch))
    if first.returncode == 0:
        return "clean"
    if check:
        # --3way cannot be checked without writing; a scratch worktree is thrown away anyway.
        second = proc.git(worktree, "apply", "--3way", str(patch))
        proc.git(worktree, "reset", "--hard", "--quiet")
    else:
        second = proc.git(worktree, "apply", "--3way", str(patch))
    if second.returncode == 0:
        return "3way"
    raise PatchApplyError(
        f"{patch}: does not apply to the baseline: {_describe(first.stderr)}; "
        f"with --3way: {_describe(second.stderr)}"
    )


def commit_all(worktree: Path, message: str) -> str:
    """Commit what is staged in ``worktree`` (detached) and return the new commit id."""
    _git_or_fail(worktree, "commit", "--quiet", "--no-verify", "--allow-empty", "-m", message)
    return resolve_commit(worktree)
