"""The two trees the baseline's tests run in: the baseline itself, and the candidate's code
with the baseline's tests.

Both start as ``git archive`` of the baseline commit in a temporary folder (read-only for the
repository: no worktree, ref or index is touched). The candidate tree then takes every changed
file that is *not* a test path from the work tree (deleted ones removed), so the code under test
is the candidate's while every test, conftest, fixture and helper is the baseline's: a test
that passes in the first tree and fails in the second fails because the code changed.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

from quality_gates.errors import InputError
from quality_gates.git import Changes, run_git
from quality_gates.globs import matches


def extract_commit(repo: Path, sha: str, dest: Path) -> Path:
    """Write the files of commit ``sha`` into ``dest`` (created)."""
    done = subprocess.run(  # noqa: S603 - fixed executable, no shell
        ["git", "-C", str(repo), "archive", "--format=tar", sha],  # noqa: S607 - git from PATH
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise InputError(f"git archive {sha[:12]}: {message or 'failed'}")
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(dest, filter="data")
    return dest


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def overlay_code_changes(
    repo: Path, changes: Changes, test_paths: tuple[str, ...], tree: Path
) -> list[str]:
    """Bring the candidate's changed non-test files into ``tree`` (copied, or removed when
    deleted or renamed away); return the paths touched."""
    touched: list[str] = []
    for change in changes.files:
        if change.status == "R" and change.old_path and not matches(change.old_path, test_paths):
            _remove(tree / change.old_path)
            touched.append(change.old_path)
        if matches(change.path, test_paths):
            continue
        source, target = repo / change.path, tree / change.path
        _remove(target)
        touched.append(change.path)
        if change.status != "D" and (source.is_file() or source.is_symlink()):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)
    return touched


def _baseline_tests(
    repo: Path, sha: str, test_paths: tuple[str, ...], test_files: tuple[str, ...]
) -> list[str]:
    listed = run_git(repo, "ls-tree", "-r", "-z", "--name-only", sha).stdout.split("\0")
    return [p for p in listed if p and matches(p, test_paths) and matches(p, test_files)]


def _users_of(repo: Path, sha: str, support: str, tests: list[str]) -> set[str]:
    """The baseline test modules a changed support file serves: every module below a
    ``conftest.py``; the modules that name a helper (its module name, or a data file's name)."""
    folder = support.rpartition("/")[0]
    if support.rpartition("/")[2] == "conftest.py":
        return {t for t in tests if not folder or t.startswith(folder + "/")}
    word = Path(support).stem if support.endswith(".py") else Path(support).name
    found = run_git(
        repo, "grep", "-l", "-z", "-w", "-F", "-e", word, sha, "--", *tests, check=False
    )
    return {name.split(":", 1)[1] for name in found.stdout.split("\0") if ":" in name}


def rerun_files(
    repo: Path,
    sha: str,
    changes: Changes,
    test_paths: tuple[str, ...],
    test_files: tuple[str, ...],
) -> list[str]:
    """The baseline paths of the test modules to re-run: those the change modifies, renames
    or deletes, and those served by a support file (conftest, helper, data) it changes.

    Added files are left out: a change that only adds tests changes no existing behaviour.
    """
    paths: set[str] = set()
    support: list[str] = []
    for change in changes.files:
        if change.status in ("A", "C"):
            continue
        old = change.old_path if change.status == "R" and change.old_path else change.path
        if matches(old, test_paths) and matches(old, test_files):
            paths.add(old)
        elif matches(old, test_paths):
            support.append(old)
    if support:
        tests = _baseline_tests(repo, sha, test_paths, test_files)
        for path in support:
            paths |= _users_of(repo, sha, path, tests)
    return sorted(paths)
