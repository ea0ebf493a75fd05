"""Git, through the ``git`` command: the baseline, the changed files and the changed lines.

"Changed" means the work tree compared with the baseline commit: committed, staged and unstaged
changes to tracked files (untracked files are ignored until ``git add``). The baseline is the merge
base of HEAD with the policy's ref; when that ref is missing (a shallow clone, no remote) the result
says so and the documented fallback applies: HEAD~1 when it exists, else no baseline, in which
case every tracked file counts as new.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from quality_gates.errors import InputError

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # `git hash-object -t tree /dev/null`
# Pin the options that change git's output format, whatever the user's configuration says.
_CONFIG = (
    "-c",
    "core.quotePath=false",
    "-c",
    "diff.noprefix=false",
    "-c",
    "diff.mnemonicPrefix=false",
    "-c",
    "color.ui=never",
    "-c",
    "diff.renames=true",
)
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def run_git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``git -C repo ARGS``; raise ``RuntimeError`` with git's message when it fails."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}
    completed = subprocess.run(  # noqa: S603 - fixed executable, arguments are not a shell line
        ["git", "-C", str(repo), *_CONFIG, *args],  # noqa: S607 - git comes from PATH by design
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        env=env,
        check=False,
    )
    if check and completed.returncode != 0:
        message = completed.stderr.strip() or f"exit status {completed.returncode}"
        raise RuntimeError(f"git {' '.join(args)}: {message}")
    return completed


def check_repository(repo: Path) -> None:
    """Raise ``InputError`` unless ``repo`` is the top level of a git work tree."""
    if not repo.is_dir():
        raise InputError(f"--repo {repo}: not a directory")
    try:
        completed = run_git(repo, "rev-parse", "--show-toplevel", check=False)
    except FileNotFoundError:
        raise InputError("git is not installed (not found on PATH)") from None
    if completed.returncode != 0:
        raise InputError(f"--repo {repo}: not a git work tree")
    top = Path(completed.stdout.strip())
    if top.resolve() != repo.resolve():
        raise InputError(f"--repo {repo}: not the top level of its git work tree (that is {top})")


def _commit(repo: Path, rev: str) -> str | None:
    completed = run_git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
    return completed.stdout.strip() if completed.returncode == 0 else None


@dataclass(frozen=True)
class Baseline:
    """The commit the change is measured against; ``sha`` None means "no baseline"."""

    ref: str
    sha: str | None
    kind: Literal["merge-base", "fallback", "none"]
    note: str = ""

    @property
    def diff_base(self) -> str:
        """What to diff against: the baseline commit, or the empty tree."""
        return self.sha or EMPTY_TREE

    @property
    def label(self) -> str:
        """A short human description, e.g. ``merge base 1a2b3c4 of origin/main``."""
        if self.kind == "merge-base" and self.sha:
            return f"merge base {self.sha[:7]} of {self.ref}"
        if self.kind == "fallback" and self.sha:
            return f"HEAD~1 ({self.sha[:7]}), fallback for {self.ref}"
        return "none (every file is new)"


def resolve_baseline(repo: Path, ref: str, fallback: str) -> Baseline:
    """The merge base of HEAD with ``ref``, or the fallback with a note saying why."""
    head = _commit(repo, "HEAD")
    if head is None:
        return Baseline(ref, None, "none", "the repository has no commit yet")
    shallow = run_git(repo, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
    where = " in this shallow clone" if shallow else ""
    hint = "fetch full history, e.g. actions/checkout with fetch-depth: 0"
    target = _commit(repo, ref)
    if target is None:
        note = f"baseline ref {ref!r} not found{where} ({hint}, or set baseline)"
    else:
        completed = run_git(repo, "merge-base", target, head, check=False)
        if completed.returncode == 0:
            return Baseline(ref, completed.stdout.strip(), "merge-base")
        note = f"HEAD and {ref!r} have no merge base{where} ({hint})"
    if fallback == "error":
        raise InputError(f'{note}; baseline_fallback = "error"')
    if fallback == "HEAD~1" and (parent := _commit(repo, "HEAD~1")) is not None:
        return Baseline(ref, parent, "fallback", f"{note}; using HEAD~1 instead")
    reason = "HEAD~1 does not exist either" if fallback == "HEAD~1" else 'baseline_fallback="none"'
    return Baseline(ref, None, "none", f"{note}; {reason}: every file counts as new")


@dataclass(frozen=True)
class ChangedFile:
    """A changed path; ``status`` is git's letter (A, M, D, R, C, T)."""

    path: str
    status: str
    old_path: str | None = None

    @property
    def paths(self) -> tuple[str, ...]:
        """The path, and the old path of a rename or copy."""
        return (self.path,) if self.old_path is None else (self.path, self.old_path)


@dataclass(frozen=True)
class Changes:
    """What changed since the baseline."""

    baseline: Baseline
    files: tuple[ChangedFile, ...]
    lines: Mapping[str, frozenset[int]] = field(default_factory=dict)
    diff_text: str = ""

    def added_lines(self, path: str) -> frozenset[int]:
        """Line numbers (in the new file) added or modified in ``path``."""
        return self.lines.get(path, frozenset())


def collect_changes(repo: Path, baseline: Baseline) -> Changes:
    """Changed files and changed lines between ``baseline`` and the work tree."""
    base = baseline.diff_base
    names = run_git(repo, "diff", "--no-ext-diff", "--name-status", "-z", base).stdout
    diff_text = run_git(
        repo, "diff", "--no-color", "--no-ext-diff", "--no-textconv", "-U0", base
    ).stdout
    return Changes(baseline, parse_name_status(names), parse_diff(diff_text), diff_text)


def parse_name_status(output: str) -> tuple[ChangedFile, ...]:
    """Parse ``git diff --name-status -z``."""
    fields = output.split("\0")
    files: list[ChangedFile] = []
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i][0]
        if status in "RC":
            files.append(ChangedFile(fields[i + 2], status, fields[i + 1]))
            i += 3
        else:
            files.append(ChangedFile(fields[i + 1], status))
            i += 2
    return tuple(sorted(files, key=lambda f: f.path))


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of unusual paths (``"a/b\\"c"``)."""
    if not (len(path) >= 2 and path.startswith('"') and path.endswith('"')):
        return path
    raw = path[1:-1].encode("utf-8").decode("unicode_escape")
    return raw.encode("latin-1").decode("utf-8", errors="surrogateescape")


def parse_diff(diff_text: str) -> dict[str, frozenset[int]]:
    """Map each file of a ``git diff -U0`` to the line numbers its hunks add."""
    lines: dict[str, set[int]] = {}
    current: str | None = None
    for line in diff_text.splitlines():
        if line.startswith("diff --git "):
            current = None
        elif line.startswith("+++ "):
            target = _unquote(line[4:].rstrip("\t"))
            current = target[2:] if target.startswith("b/") else None
            if current is not None:
                lines.setdefault(current, set())
        elif current is not None and (match := _HUNK.match(line)):
            start, count = int(match.group(1)), int(match.group(2) or "1")
            lines[current].update(range(start, start + count))
    return {path: frozenset(numbers) for path, numbers in lines.items()}


def show_file(repo: Path, rev: str, path: str) -> str | None:
    """The content of ``path`` at ``rev``, or None when it does not exist there."""
    completed = run_git(repo, "show", f"{rev}:{path}", check=False)
    return completed.stdout if completed.returncode == 0 else None


def list_files(repo: Path) -> list[str]:
    """Tracked files plus untracked files that are not ignored."""
    output = run_git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout
    return sorted({name for name in output.split("\0") if name})
