"""Baseline resolution and diff parsing, on real repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from quality_gates import git
from quality_gates.errors import InputError
from tests.gates._repo import CLI, GitRepo


def test_merge_base_of_diverged_branches(repo: GitRepo) -> None:
    repo.write("a.txt", "1\n")
    fork = repo.commit("fork point")
    repo.publish_main()
    repo.write("a.txt", "feature\n")
    repo.commit("feature work")
    repo.git("checkout", "-q", "main")
    repo.write("b.txt", "main moved on\n")
    repo.commit("main work")
    repo.git("update-ref", "refs/remotes/origin/main", "HEAD")
    repo.git("checkout", "-q", "feature")
    baseline = git.resolve_baseline(repo.path, "origin/main", "HEAD~1")
    assert (baseline.sha, baseline.kind, baseline.note) == (fork, "merge-base", "")
    changes = git.collect_changes(repo.path, baseline)
    # Three-dot semantics: main's own later work is not part of this change.
    assert [f.path for f in changes.files] == ["a.txt"]
    assert changes.added_lines("a.txt") == frozenset({1})


def test_missing_ref_falls_back_to_head_parent(repo: GitRepo) -> None:
    first = repo.commit("one")
    repo.commit("two")
    baseline = git.resolve_baseline(repo.path, "origin/main", "HEAD~1")
    assert (baseline.sha, baseline.kind) == (first, "fallback")
    assert baseline.note == (
        "baseline ref 'origin/main' not found (fetch full history, e.g. actions/checkout with "
        "fetch-depth: 0, or set baseline); using HEAD~1 instead"
    )
    assert baseline.label == f"HEAD~1 ({first[:7]}), fallback for origin/main"


def test_single_commit_has_no_baseline(repo: GitRepo) -> None:
    repo.write("a.py", "x = 1\ny = 2\n")
    repo.commit("only")
    baseline = git.resolve_baseline(repo.path, "origin/main", "HEAD~1")
    assert baseline.sha is None
    assert "HEAD~1 does not exist either: every file counts as new" in baseline.note
    changes = git.collect_changes(repo.path, baseline)
    assert changes.added_lines("a.py") == frozenset({1, 2})


def test_fallback_none_and_error(repo: GitRepo) -> None:
    repo.commit("one")
    repo.commit("two")
    assert git.resolve_baseline(repo.path, "origin/main", "none").sha is None
    with pytest.raises(InputError, match='baseline_fallback = "error"'):
        git.resolve_baseline(repo.path, "origin/main", "error")


def test_fallback_error_through_the_cli(cli: CLI, repo: GitRepo) -> None:
    repo.write("pyproject.toml", '[tool.quality_gates]\nbaseline_fallback = "error"\n')
    repo.commit("one")
    result = cli("checklist", "--body-file", str(repo.write("b.md", "x")))
    assert result.code == 2
    assert "baseline ref 'origin/main' not found" in result.err


def test_shallow_clone_is_named(repo: GitRepo, tmp_path: Path) -> None:
    for n in range(3):
        repo.write("a.txt", f"{n}\n")
        repo.commit(f"c{n}")
    clone = tmp_path / "shallow"
    subprocess.run(  # noqa: S603 - fixed arguments
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)],  # noqa: S607
        check=True,
    )
    baseline = git.resolve_baseline(clone, "origin/develop", "HEAD~1")
    assert baseline.kind == "none"
    assert "not found in this shallow clone" in baseline.note


def test_uncommitted_changes_count(repo: GitRepo) -> None:
    repo.write("a.py", "x = 1\n")
    repo.commit("one")
    repo.publish_main()
    repo.write("a.py", "x = 1\ny = 2\n")  # unstaged
    repo.write("b.py", "z = 3\n")
    repo.git("add", "b.py")  # staged
    repo.write("untracked.py", "ignored = True\n")
    changes = git.collect_changes(
        repo.path, git.resolve_baseline(repo.path, "origin/main", "HEAD~1")
    )
    assert {f.path: f.status for f in changes.files} == {"a.py": "M", "b.py": "A"}
    assert changes.added_lines("a.py") == frozenset({2})


def test_renames_deletions_and_odd_names(repo: GitRepo) -> None:
    repo.write("old name.py", "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n")
    repo.write("gone.py", "x = 1\n")
    repo.commit("one")
    repo.publish_main()
    repo.git("mv", "old name.py", 'new "name".py')
    repo.write('new "name".py', "a = 1\nb = 2\nc = 3\nd = 4\ne = 50\n")
    (repo.path / "gone.py").unlink()
    repo.commit("two")
    changes = git.collect_changes(
        repo.path, git.resolve_baseline(repo.path, "origin/main", "HEAD~1")
    )
    renamed = next(f for f in changes.files if f.status == "R")
    assert (renamed.path, renamed.old_path) == ('new "name".py', "old name.py")
    assert renamed.paths == ('new "name".py', "old name.py")
    assert changes.added_lines('new "name".py') == frozenset({5})
    assert any(f.path == "gone.py" and f.status == "D" for f in changes.files)
    assert "gone.py" not in changes.lines


def test_parse_diff_hunk_counts() -> None:
    diff = (
        "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n"
        "@@ -1,0 +2,3 @@\n+a\n+b\n+c\n@@ -9 +12 @@\n-old\n+new\n@@ -20,2 +23,0 @@\n-gone\n-gone\n"
    )
    assert git.parse_diff(diff) == {"x.py": frozenset({2, 3, 4, 12})}
