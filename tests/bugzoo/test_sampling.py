"""The mutation stage's sample: patches in mutated code only, seeded by the baseline commit."""

from __future__ import annotations

from pathlib import Path

from bugzoo.metadata import PatchSpec
from bugzoo.names import Kind
from bugzoo.sampling import mutable, mutation_sample
from tests.bugzoo._zoo import Zoo
from tests.gates._repo import CLI


def _spec(tmp_path: Path, slug: str, kind: Kind, target: str) -> PatchSpec:
    patch = tmp_path / f"{slug}.patch"
    patch.write_text(
        f"diff --git a/{target} b/{target}\n--- a/{target}\n+++ b/{target}\n@@ -1 +1 @@\n-a\n+b\n",
        encoding="utf-8",
    )
    return PatchSpec(slug, patch, slug, kind, "class", "", "", "", ())


def test_only_patches_to_mutated_code_are_drawn(tmp_path: Path) -> None:
    specs = [
        _spec(tmp_path, "b1", "benign", "authsvc/security/tokens.py"),
        _spec(tmp_path, "b2", "benign", "authsvc/routes/ops.py"),
        _spec(tmp_path, "b3", "benign", "docs/authsvc.md"),
        _spec(tmp_path, "x1", "bug", "authsvc/services/sessions.py"),
        _spec(tmp_path, "x2", "bug", "authsvc/migrations/versions/0003_x.py"),
        _spec(tmp_path, "x3", "bug", "authsvc/security/hashing.py"),
    ]
    assert [mutable(s.patch) for s in specs] == [True, True, False, True, False, True]
    assert mutation_sample(specs, "abc", None) == {"b1", "b2", "x1", "x3"}
    one = mutation_sample(specs, "abc", 1)
    assert len(one & {"b1", "b2"}) == 1
    assert len(one & {"x1", "x3"}) == 1
    assert mutation_sample(specs, "abc", 1) == one  # the same commit, the same sample
    drawn = {frozenset(mutation_sample(specs, f"commit{n}", 1)) for n in range(20)}
    assert len(drawn) > 1  # another commit, another sample
    assert mutation_sample(specs, "abc", 0) == frozenset()


def test_a_bad_sample_size_is_a_usage_error(cli: CLI, zoo: Zoo) -> None:
    zoo.add_benign()
    result = cli("run", "--mutation-sample", "some")
    assert result.code == 2
    assert "expected a number of patches or 'all', got 'some'" in result.err
