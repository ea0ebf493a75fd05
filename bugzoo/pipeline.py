"""One patch through the pipeline, and the whole zoo, a few patches at a time.

For each patch: a temporary worktree of the baseline, the patch applied and committed, the
stages run, the worktree removed. Two modes:

- full (the default): every stage runs whatever the others found, so the matrix is complete; two
  lanes side by side (the tests and the gates that read their results, and the replay with the
  API check);
- ``--first-block`` (CI): a buggy patch's stages run one after the other in
  :data:`FIRST_BLOCK_ORDER`, cheapest first, and stop at the first that fails: one block is all
  the verdict needs. The stages after it are ``not-run``. An error is not a block: the next stage
  runs. A benign patch always runs every stage, as in the full mode (a false alarm in any stage
  must show).

Before anything runs, :func:`preflight` checks that every patch applies.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TextIO

from bugzoo import proc
from bugzoo.metadata import PatchSpec, ZooInputError
from bugzoo.names import STAGES
from bugzoo.results import PatchResult, StageResult
from bugzoo.stages import LANES, RUNNERS, Settings, StageContext
from bugzoo.worktree import apply_patch, commit_all, temporary_worktree

SYMBOLS = {"fail": "✓", "pass": "·", "skipped": "·", "error": "!", "not-run": "-"}

#: ``--first-block``: the stages cheapest first, by mean wall seconds a patch in the last full CI
#: run (deb0eb1, 40 patches, docs/bugzoo.md): api-compat 5, behaviour 10, then tests 55 with the
#: gates that read its results (incidents 2, coverage 7), replay 47, mutation 84. Tests or replay
#: first was a tie on that run (either order leaves 61% of its stage seconds); the replay goes
#: after the tests because the races make it dearer (about 87 s of CPU a replay on their branch).
#: Fixed, never from a patch's ``expected_gates``: the verdict must not depend on what its
#: metadata expects.
FIRST_BLOCK_ORDER: tuple[str, ...] = (
    "api-compat",
    "behaviour",
    "tests",
    "incidents",
    "coverage",
    "replay",
    "mutation",
)


class Progress:
    """One line per patch started and finished, on a stream (stderr), safe across threads."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self._total = total
        self._stream = stream if stream is not None else sys.stderr
        self._lock = threading.Lock()
        self._started = 0

    def line(self, text: str) -> None:
        """Write ``text`` as one line."""
        with self._lock:
            self._stream.write(text + "\n")
            self._stream.flush()

    def started(self, spec: PatchSpec) -> None:
        """A patch begins."""
        with self._lock:
            self._started += 1
            count = self._started
        self.line(f"[{count:>2}/{self._total}] {spec.slug} ({spec.kind}): running")

    def finished(self, result: PatchResult) -> None:
        """A patch is done: its stages, and whether it was blocked."""
        marks = "  ".join(f"{s.stage} {SYMBOLS[s.status]}" for s in result.stages)
        verdict = "blocked" if result.blocked_by else "passed"
        self.line(f"      {result.spec.slug}: {marks}  -> {verdict} ({result.seconds:.0f} s)")


def _run_one(ctx: StageContext, stage: str) -> StageResult:
    start = time.monotonic()
    try:
        return RUNNERS[stage](ctx)
    except OSError as exc:  # the interpreter or git missing, a disk full
        return StageResult(stage, "error", str(exc), time.monotonic() - start)


def _run_lane(ctx: StageContext, lane: Sequence[str]) -> list[StageResult]:
    return [_run_one(ctx, stage) for stage in lane]


def _until_blocked(ctx: StageContext, wanted: Sequence[str]) -> list[StageResult]:
    """``wanted`` in :data:`FIRST_BLOCK_ORDER`, one at a time, until one fails."""
    results: list[StageResult] = []
    blocker = ""
    for stage in (s for s in FIRST_BLOCK_ORDER if s in wanted):
        if blocker:
            reason = f"{blocker} blocked the patch first (--first-block)"
            results.append(StageResult(stage, "not-run", reason))
            continue
        result = _run_one(ctx, stage)
        results.append(result)
        if result.status == "fail":  # an error is no block: it judged nothing
            blocker = stage
    return results


def run_stages(ctx: StageContext, *, first_block: bool = False) -> tuple[StageResult, ...]:
    """Every selected stage on the worktree (with ``first_block``: until one blocks), in the
    order of :data:`STAGES`."""
    settings = ctx.settings
    wanted = [s for s in settings.stages if s != "mutation" or ctx.slug in settings.mutation_slugs]
    if first_block:
        found = {result.stage: result for result in _until_blocked(ctx, wanted)}
    else:
        lanes = [lane for lane in (tuple(s for s in ln if s in wanted) for ln in LANES) if lane]
        with ThreadPoolExecutor(max_workers=max(1, len(lanes))) as pool:
            futures = [pool.submit(_run_lane, ctx, lane) for lane in lanes]
            found = {result.stage: result for future in futures for result in future.result()}
    return tuple(found[stage] for stage in STAGES if stage in found)


def run_patch(spec: PatchSpec, repo: Path, base: str, settings: Settings) -> PatchResult:
    """Apply ``spec``'s patch on ``base`` in a temporary worktree, commit it, run the stages.

    The preflight made sure the patch applies: git failing here (a full disk, a broken
    repository) makes every stage an error, and the other patches still run.
    """
    start = time.monotonic()
    try:
        with temporary_worktree(repo, base, spec.slug) as worktree:
            applied = apply_patch(worktree, spec.patch)
            commit_all(worktree, f"bugzoo: {spec.slug}\n\n{spec.title}")
            body = spec.patch.with_suffix(".md").resolve()
            body_file = body if body.is_file() else None
            ctx = StageContext(worktree, base, settings, body_file, spec.slug)
            stages = run_stages(ctx, first_block=settings.first_block and spec.kind == "bug")
    except ZooInputError as exc:
        reason = f"could not set up the patch: {'; '.join(exc.problems)}"
        stages = tuple(StageResult(stage, "error", reason) for stage in settings.stages)
        return PatchResult(spec, stages, time.monotonic() - start, "not applied")
    return PatchResult(spec, stages, time.monotonic() - start, applied)


def preflight(specs: Sequence[PatchSpec], repo: Path, base: str) -> None:
    """Check that every patch applies to ``base``; :class:`ZooInputError` listing those that
    do not (before any stage runs: a broken entry is bad input, not a verdict)."""
    problems: list[str] = []
    with temporary_worktree(repo, base, "preflight") as worktree:
        for spec in specs:
            try:
                apply_patch(worktree, spec.patch, check=True)
            except ZooInputError as exc:
                problems += exc.problems
    if problems:
        raise ZooInputError(problems)


def run_zoo(
    specs: Sequence[PatchSpec],
    repo: Path,
    base: str,
    settings: Settings,
    *,
    jobs: int,
    progress: Progress,
    runner: Callable[[PatchSpec, Path, str, Settings], PatchResult] = run_patch,
) -> list[PatchResult]:
    """Every patch through the pipeline, ``jobs`` at a time; results in ``specs`` order."""

    def one(spec: PatchSpec) -> PatchResult:
        progress.started(spec)
        result = runner(spec, repo, base, settings)
        progress.finished(result)
        return result

    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        return list(pool.map(one, specs))
    except KeyboardInterrupt:
        # Stop the stages' commands now, or the pool would wait for every running patch.
        proc.stop_all()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
