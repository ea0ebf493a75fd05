"""The changes ``bench/gate_bench.py`` times still apply to the tree they would be made in.

Each kind of change finds its anchor in the current code; when a refactor moves an anchor, this
fails here rather than in the middle of a half-hour benchmark.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gate_bench", ROOT / "bench" / "gate_bench.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while defined
    spec.loader.exec_module(module)
    return module


GATE_BENCH = _bench()
_CACHES = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the folders the changes touch, at their paths in the repository."""
    for folder in ("docs", "authsvc", "quality_gates", "tests"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=_CACHES)
    return tmp_path


@pytest.mark.parametrize("kind", sorted(GATE_BENCH.KINDS))
def test_each_change_applies_and_changes_the_tree(tree: Path, kind: str) -> None:
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    message = GATE_BENCH.KINDS[kind](tree)
    after = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    changed = {p.relative_to(tree).as_posix() for p in after if before.get(p) != after[p]}
    assert message
    assert changed, f"{kind} changed nothing"
    if kind == "none":
        assert all(path.startswith("docs/") for path in changed), changed
    if kind == "framework":
        assert changed == {"quality_gates/report/as_markdown.py"}
    if kind == "critical":
        assert changed == {GATE_BENCH.HASHING}


def test_a_moved_anchor_is_bad_input(tree: Path) -> None:
    target = tree / GATE_BENCH.HASHING
    target.write_text("# the anchor is gone\n", encoding="utf-8")
    with pytest.raises(GATE_BENCH.BenchError, match="anchor is no longer there"):
        GATE_BENCH.change_critical(tree)
