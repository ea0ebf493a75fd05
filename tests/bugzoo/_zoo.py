"""Helpers of the bug zoo's tests: zoo directories, patches made with git, synthetic results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bugzoo.metadata import PatchSpec
from bugzoo.names import STAGES, Kind, StageStatus
from bugzoo.results import PatchResult, StageResult, ZooRun
from tests.gates._repo import GitRepo

GOLDEN = Path(__file__).parent / "golden"
BUG_META: dict[str, object] = {
    "title": "Greeting shouted",
    "kind": "bug",
    "bug_class": "greeting-case",
    "hits": "everyone greeted",
    "share": "100%",
    "precedent": "https://example.com/issues/1",
    "expected_gates": ["tests"],
}
BENIGN_META: dict[str, object] = {
    "title": "Docstring for greet",
    "kind": "benign",
    "bug_class": "docstring",
    "hits": "",
    "share": "",
    "precedent": "",
    "expected_gates": [],
}


def toml_value(value: object) -> str:
    """``value`` as a TOML value (strings, booleans, numbers, lists of them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return str(value)


def write_entry(directory: Path, slug: str, patch: str, meta: Mapping[str, object] | str) -> Path:
    """Write ``<slug>.patch`` and ``<slug>.toml`` (a dict of keys, or raw TOML text)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{slug}.patch").write_text(patch, encoding="utf-8")
    text = (
        meta
        if isinstance(meta, str)
        else "".join(f"{key} = {toml_value(value)}\n" for key, value in meta.items())
    )
    (directory / f"{slug}.toml").write_text(text, encoding="utf-8")
    return directory / f"{slug}.patch"


@dataclass
class Zoo:
    """A zoo directory whose patches apply to ``repo``."""

    path: Path
    repo: GitRepo

    def diff(self, relative: str, content: str) -> str:
        """The patch that makes ``relative`` read ``content`` (the repository is left as is)."""
        original = self.repo.path / relative
        before = original.read_text(encoding="utf-8") if original.exists() else None
        self.repo.write(relative, content)
        self.repo.git("add", "-N", relative)
        patch = self.repo.git("diff", "--", relative)
        self.repo.git("reset", "-q", "--", relative)
        if before is None:
            original.unlink()
        else:
            original.write_text(before, encoding="utf-8")
        return patch

    def add(self, slug: str, patch: str, meta: Mapping[str, object] | str) -> Path:
        """Write ``<slug>.patch`` and ``<slug>.toml`` (a dict of keys, or raw TOML text)."""
        return write_entry(self.path, slug, patch, meta)

    def add_benign(self, slug: str = "docstring") -> Path:
        """A benign patch: a docstring for ``greet``."""
        patch = self.diff("app.py", 'def greet():\n    """Say hello."""\n    return "hello"\n')
        return self.add(slug, patch, BENIGN_META)


def spec(slug: str, kind: Kind, expected: Sequence[str] = ()) -> PatchSpec:
    """Metadata of a synthetic patch."""
    bug = kind == "bug"
    return PatchSpec(
        slug=slug,
        patch=Path(f"{slug}.patch"),
        title=f"The {slug} update",
        kind=kind,
        bug_class="legacy-hash" if bug else "refactor",
        hits="accounts on imported hashes" if bug else "",
        share="about 20%" if bug else "",
        precedent="https://example.com/issues/7" if bug else "",
        expected_gates=tuple(expected),
    )


def patch_result(
    slug: str,
    kind: Kind,
    statuses: dict[str, StageStatus],
    *,
    expected: Sequence[str] = (),
    headline: str = "candidate fails login for 20% of accounts: segment legacy-pbkdf2",
) -> PatchResult:
    """A patch's result: every stage passed unless ``statuses`` says otherwise."""
    stages = []
    for index, stage in enumerate(STAGES):
        status = statuses.get(stage, "pass")
        if stage == "replay" and status == "fail":
            reason = headline
        else:
            reason = {
                "pass": "fine",
                "fail": f"{stage} found it",
                "error": "it broke",
                "not-run": "an earlier stage blocked the patch first (--first-block)",
            }.get(status, "nothing to judge")
        stages.append(StageResult(stage, status, reason, 10.0 + index))
    return PatchResult(spec(slug, kind, expected), tuple(stages), 61.0)


def zoo_run(*patches: PatchResult, first_block: bool = False) -> ZooRun:
    """A run of ``patches`` with fixed settings and times (``first_block``: in that mode)."""
    return ZooRun(
        base="0123456789abcdef0123456789abcdef01234567",
        command="python -m bugzoo run",
        seconds=754.0,
        stages=STAGES,
        settings={
            "tests": "tests/unit",
            "accounts": 100,
            "legacy_costs": "low",
            "fast_hashing": True,
            "mutation_patches": 2,
            "mutation_budget": 180.0,
            "jobs": 2,
            **({"first_block": True} if first_block else {}),
        },
        patches=patches,
        cpu_seconds=1300.0,
    )
