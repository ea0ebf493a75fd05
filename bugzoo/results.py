"""What a zoo run found: per stage, per patch, for the whole run, and the verdict on it.

The verdict (:func:`judge`): a buggy patch must be *blocked* (at least one stage failed; an
error is not a catch), a benign patch must pass every stage (a failure or an error is a false
alarm: the merge would be stopped). Differences between the stages a patch's metadata expects
and those that blocked it are warnings, for the stages that ran (``--first-block`` leaves the
stages after the first block not run).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from bugzoo.metadata import METADATA_KEYS, PatchSpec, ZooInputError, spec_from
from bugzoo.names import STAGE_STATUSES, StageStatus

SCHEMA = "bugzoo/1"
EXIT_OK = 0
EXIT_CAUGHT_WRONG = 1
EXIT_INPUT = 2
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class StageResult:
    """One stage on one patch. ``gate`` is the stage's full gate result (for the reports)."""

    stage: str
    status: StageStatus
    reason: str
    seconds: float = 0.0
    gate: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready, without the full gate result."""
        return {
            "stage": self.stage,
            "status": self.status,
            "reason": self.reason,
            "seconds": round(self.seconds, 1),
        }


@dataclass(frozen=True)
class PatchResult:
    """One patch through the pipeline."""

    spec: PatchSpec
    stages: tuple[StageResult, ...]
    seconds: float
    applied: str = "clean"

    def stage(self, name: str) -> StageResult | None:
        """The result of stage ``name``, if it ran."""
        return next((s for s in self.stages if s.stage == name), None)

    @property
    def blocked_by(self) -> tuple[str, ...]:
        """The stages that failed."""
        return tuple(s.stage for s in self.stages if s.status == "fail")

    @property
    def errors(self) -> tuple[str, ...]:
        """The stages that could not judge the patch."""
        return tuple(s.stage for s in self.stages if s.status == "error")

    @property
    def headline(self) -> str:
        """The replay gate's headline when it failed (who would be locked out), else ``""``."""
        replay = self.stage("replay")
        return replay.reason if replay is not None and replay.status == "fail" else ""

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: the metadata, how it applied, each stage, and the summary fields."""
        return {
            **self.spec.to_dict(),
            "applied": self.applied,
            "seconds": round(self.seconds, 1),
            "blocked_by": list(self.blocked_by),
            "headline": self.headline,
            "stages": [stage.to_dict() for stage in self.stages],
        }


@dataclass(frozen=True)
class Verdict:
    """``problems`` make the run fail (exit 1); ``warnings`` are reported only."""

    problems: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def exit_code(self) -> int:
        """0 when there is no problem, else 1."""
        return EXIT_CAUGHT_WRONG if self.problems else EXIT_OK


@dataclass(frozen=True)
class ZooRun:
    """A whole run: where, how, how long, and every patch's result."""

    base: str
    command: str
    seconds: float
    stages: tuple[str, ...]
    settings: Mapping[str, object]
    patches: tuple[PatchResult, ...]
    #: CPU time of every command the run started (user + system), a measure the machine's
    #: load does not inflate as it does the wall-clock time.
    cpu_seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        """The JSON result file's content (schema ``bugzoo/1``)."""
        verdict = judge(self)
        return {
            "schema": SCHEMA,
            "base": self.base,
            "command": self.command,
            "seconds": round(self.seconds, 1),
            "cpu_seconds": round(self.cpu_seconds, 1),
            "stages": list(self.stages),
            "settings": dict(self.settings),
            "verdict": {
                "exit_code": verdict.exit_code,
                "problems": list(verdict.problems),
                "warnings": list(verdict.warnings),
            },
            "patches": [patch.to_dict() for patch in self.patches],
        }


def _names(stages: Sequence[str]) -> str:
    return ", ".join(stages) if stages else "none"


def _patch_verdict(patch: PatchResult) -> tuple[list[str], list[str]]:
    spec = patch.spec
    problems: list[str] = []
    warnings: list[str] = []
    blocked = patch.blocked_by
    if spec.kind == "bug" and not blocked:
        errors = f" ({_names(patch.errors)} could not judge it)" if patch.errors else ""
        problems.append(f"{spec.slug}: buggy patch got through: no stage blocked it{errors}")
    if spec.kind == "benign" and (blocked or patch.errors):
        reasons = "; ".join(
            f"{s.stage} {'failed' if s.status == 'fail' else 'errored'}: {s.reason}"
            for s in patch.stages
            if s.status in ("fail", "error")
        )
        problems.append(f"{spec.slug}: benign patch blocked: {reasons}")
    if spec.kind == "bug":
        ran = {s.stage for s in patch.stages if s.status != "not-run"}
        missed = [g for g in spec.expected_gates if g in ran and g not in blocked]
        extra = [g for g in blocked if g not in spec.expected_gates]
        if missed:
            warnings.append(f"{spec.slug}: expected {_names(missed)} to block it; they did not")
        if extra:
            warnings.append(f"{spec.slug}: also blocked by {_names(extra)} (not expected)")
        if patch.errors and blocked:
            warnings.append(f"{spec.slug}: {_names(patch.errors)} could not judge it (error)")
    return problems, warnings


def judge(run: ZooRun) -> Verdict:
    """The verdict on a run: see the module docstring."""
    problems: list[str] = []
    warnings: list[str] = []
    for patch in run.patches:
        found, noted = _patch_verdict(patch)
        problems += found
        warnings += noted
    return Verdict(tuple(problems), tuple(warnings))


# Reading a result file back (``python -m bugzoo matrix``).


def _get(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise ZooInputError(f"{where}: {key}: missing")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ZooInputError(f"{where}: {key}: unexpected type {type(value).__name__}")
    return value


def _stage_from(data: object, where: str) -> StageResult:
    if not isinstance(data, Mapping):
        raise ZooInputError(f"{where}: expected a table")
    status = _get(data, "status", str, where)
    if status not in STAGE_STATUSES:
        raise ZooInputError(f"{where}: status: unknown {status!r}")
    return StageResult(
        stage=_get(data, "stage", str, where),
        status=cast("StageStatus", status),
        reason=_get(data, "reason", str, where),
        seconds=float(_get(data, "seconds", (int, float), where)),
    )


def _patch_from(data: object, where: str) -> PatchResult:
    if not isinstance(data, Mapping):
        raise ZooInputError(f"{where}: expected a table")
    slug = _get(data, "slug", str, where)
    # The same checks as for the metadata files.
    meta = {key: data[key] for key in METADATA_KEYS if key in data}
    patch = Path(_get(data, "patch", str, where))
    spec = spec_from(slug, patch, meta, where=f"{where} ({slug})")
    stages = _get(data, "stages", list, where)
    return PatchResult(
        spec=spec,
        stages=tuple(_stage_from(s, f"{where}.stages[{i}]") for i, s in enumerate(stages)),
        seconds=float(_get(data, "seconds", (int, float), where)),
        applied=_get(data, "applied", str, where),
    )


def run_from_dict(data: object, where: str) -> ZooRun:
    """A :class:`ZooRun` from a result file's JSON; :class:`ZooInputError` when malformed."""
    if not isinstance(data, Mapping) or data.get("schema") != SCHEMA:
        raise ZooInputError(f"{where}: not a bug zoo result file (schema {SCHEMA})")
    patches = _get(data, "patches", list, where)
    return ZooRun(
        base=_get(data, "base", str, where),
        command=_get(data, "command", str, where),
        seconds=float(_get(data, "seconds", (int, float), where)),
        stages=tuple(_get(data, "stages", list, where)),
        settings=dict(_get(data, "settings", dict, where)),
        patches=tuple(_patch_from(p, f"{where}: patches[{i}]") for i, p in enumerate(patches)),
        cpu_seconds=float(data.get("cpu_seconds", 0.0)),
    )
