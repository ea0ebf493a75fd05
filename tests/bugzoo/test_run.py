"""The real runner on throw-away repositories: worktrees, apply, commit, a cheap stage, reports.

The stage is ``api-compat``, which a repository without an OpenAPI snapshot skips in a second:
enough to see the whole path of a patch. The full pipeline runs in CI (``nox -s bugzoo``).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.bugzoo._zoo import BUG_META, Zoo
from tests.gates._repo import CLI


def _worktrees(zoo: Zoo) -> int:
    return zoo.repo.git("worktree", "list").count("\n")


def test_a_benign_patch_passes_and_leaves_nothing_behind(
    cli: CLI, zoo: Zoo, tmp_path: Path
) -> None:
    """Exit 0; results and matrix written where asked; no worktree, branch or commit left."""
    zoo.add_benign()
    head = zoo.repo.git("rev-parse", "HEAD")
    refs = zoo.repo.git("for-each-ref")
    results, matrix = tmp_path / "out" / "zoo.json", tmp_path / "out" / "matrix.md"
    result = cli(
        "run", "--stages", "api-compat", "--results", str(results), "--matrix", str(matrix)
    )
    assert result.code == 0, result.err
    assert "[ 1/1] docstring (benign): running" in result.err
    assert "docstring: api-compat ·  -> passed" in result.err
    assert "0/0 buggy patches blocked, 1/1 benign passed" in result.out
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["schema"] == "bugzoo/1"
    assert data["base"] == head.strip()
    (patch,) = data["patches"]
    assert patch["applied"] == "clean"
    assert patch["stages"] == [
        {
            "stage": "api-compat",
            "status": "skipped",
            "reason": patch["stages"][0]["reason"],
            "seconds": patch["stages"][0]["seconds"],
        }
    ]
    assert "| [docstring](../bugzoo/patches/docstring.patch) | docstring | · |" in (
        matrix.read_text(encoding="utf-8")
    )
    assert _worktrees(zoo) == 1
    assert zoo.repo.git("rev-parse", "HEAD") == head
    assert zoo.repo.git("for-each-ref") == refs
    assert zoo.repo.git("status", "--porcelain") == ""


def test_a_bug_no_stage_blocks_fails_the_run(cli: CLI, zoo: Zoo, tmp_path: Path) -> None:
    """A buggy patch that every stage lets through: exit 1, named."""
    zoo.add("shout", zoo.diff("app.py", "def greet():\n    return 'HELLO'\n"), BUG_META)
    result = cli("run", "--stages", "api-compat", "--results", str(tmp_path / "r.json"))
    assert result.code == 1
    assert "bugzoo: shout: buggy patch got through: no stage blocked it" in result.err
    assert "0/1 buggy patches blocked" in result.out


def test_only_writes_no_matrix_unless_asked(cli: CLI, zoo: Zoo, tmp_path: Path) -> None:
    """--only runs a subset: the committed matrix is not overwritten by it."""
    zoo.add_benign("one")
    zoo.add_benign("two")
    result = cli("run", "--only", "two", "--stages", "api-compat", "--jobs", "1")
    assert result.code == 0, result.err
    assert "one" not in result.err
    assert not (zoo.repo.path / "docs" / "catch-matrix.md").exists()
    data = json.loads((zoo.repo.path / "reports" / "bugzoo.json").read_text(encoding="utf-8"))
    assert [p["slug"] for p in data["patches"]] == ["two"]


def test_small_drift_is_applied_with_3way(cli: CLI, zoo: Zoo, tmp_path: Path) -> None:
    """The patch predates an edit next to its hunk: plain apply fails, --3way merges it."""
    repo = zoo.repo
    repo.write("app.py", "def greet():\n    return 'hello'\n\n\ndef leave():\n    return 'bye'\n")
    repo.commit("two functions")
    edited = "def greet():\n    return 'hello there'\n\n\ndef leave():\n    return 'bye'\n"
    zoo.add(
        "polite",
        zoo.diff("app.py", edited),
        {
            **BUG_META,
            "kind": "benign",
            "hits": "",
            "share": "",
            "precedent": "",
            "expected_gates": [],
        },
    )
    repo.write(
        "app.py", "def greet():\n    return 'hello'\n\n\ndef leave(name):\n    return 'bye'\n"
    )
    repo.commit("drift")
    results = tmp_path / "r.json"
    result = cli("run", "--stages", "api-compat", "--results", str(results))
    assert result.code == 0, result.err
    (patch,) = json.loads(results.read_text(encoding="utf-8"))["patches"]
    assert patch["applied"] == "3way"


def test_patches_in_parallel_get_worktrees_of_their_own(cli: CLI, zoo: Zoo, tmp_path: Path) -> None:
    """git names a worktree after its path's last part: four at once must not collide."""
    for slug in ("one", "two", "three", "four"):
        zoo.add_benign(slug)
    results = tmp_path / "r.json"
    result = cli("run", "--stages", "api-compat", "--jobs", "4", "--results", str(results))
    assert result.code == 0, result.err
    data = json.loads(results.read_text(encoding="utf-8"))
    assert {p["applied"] for p in data["patches"]} == {"clean"}
    assert _worktrees(zoo) == 1
