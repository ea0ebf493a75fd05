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


def _copy(tree: Path, kind: str) -> None:
    """Copy the paths ``kind`` touches (``TOUCHES``) into ``tree``, at their repository paths."""
    for relative in GATE_BENCH.TOUCHES[kind]:
        source, target = ROOT / relative, tree / relative
        if source.is_dir():
            shutil.copytree(source, target, ignore=_CACHES)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def _files(tree: Path) -> dict[str, bytes]:
    return {p.relative_to(tree).as_posix(): p.read_bytes() for p in tree.rglob("*") if p.is_file()}


def _under(path: str, listed: str) -> bool:
    return path == listed or path.startswith(f"{listed}/")


def test_every_kind_lists_what_it_touches() -> None:
    assert GATE_BENCH.TOUCHES.keys() == GATE_BENCH.KINDS.keys()


@pytest.mark.parametrize("kind", sorted(GATE_BENCH.KINDS))
def test_each_change_applies_and_changes_what_it_lists(tmp_path: Path, kind: str) -> None:
    touches = GATE_BENCH.TOUCHES[kind]
    _copy(tmp_path, kind)
    before = _files(tmp_path)
    try:
        message = GATE_BENCH.KINDS[kind](tmp_path)
    except FileNotFoundError as exc:
        pytest.fail(f"{kind} reads {exc.filename}, which TOUCHES[{kind!r}] does not list")
    after = _files(tmp_path)
    changed = {path for path in after if before.get(path) != after[path]}
    assert message
    # Nothing outside the list changes, and every path on it does (a folder: a file in it).
    assert all(any(_under(path, listed) for listed in touches) for path in changed), changed
    assert all(any(_under(path, listed) for path in changed) for listed in touches), changed
    if kind == "none":
        assert all(path.startswith("docs/") for path in changed), changed
    if kind == "framework":
        assert changed == {"quality_gates/report/as_markdown.py"}
    if kind == "critical":
        assert changed == {GATE_BENCH.HASHING}


def test_a_moved_anchor_is_bad_input(tmp_path: Path) -> None:
    _copy(tmp_path, "critical")
    target = tmp_path / GATE_BENCH.HASHING
    target.write_text("# the anchor is gone\n", encoding="utf-8")
    with pytest.raises(GATE_BENCH.BenchError, match="anchor is no longer there"):
        GATE_BENCH.change_critical(tmp_path)
