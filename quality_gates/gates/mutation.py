"""The mutation gate: mutmut 3 on the critical functions a change touches.

The changed lines since the baseline are mapped to the functions enclosing them in the Python
files of the critical paths (``mutation.paths`` narrows them); mutmut mutates those functions
in a temporary copy of the repository and runs the tests that call them. ``--all`` takes every
function of those files instead. The score is killed / (killed + survived + timeout); mutants
no test calls, and suspicious or interrupted results, make the gate an error, never a pass.
Surviving mutants are findings with their ``path:line`` and diff, unless the survivors file
accepts them (with a reason, until an expiry date). See docs/mutation.md.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from quality_gates.context import AddOptions, GateContext
from quality_gates.errors import InputError
from quality_gates.git import list_files
from quality_gates.mutation import baseline, focus, runner
from quality_gates.mutation.progress import Progress
from quality_gates.mutation.scope import Scope, candidate, changed_scope, full_scope, touched_lines
from quality_gates.mutation.survivors import Accepted, load_survivors
from quality_gates.mutation.verdict import Rules, judge
from quality_gates.policy import MutationPolicy
from quality_gates.result import Finding, GateResult, Table

NAME = "mutation"
#: Seconds the baseline comparison gets at least, even when the run used up the budget.
MIN_COMPARE = 120.0
HELP = "mutation testing (mutmut 3) of the critical functions the change touches"
SECTIONS: tuple[str, ...] = ("mutation",)
OPTIONS: tuple[AddOptions, ...] = ()


def _read(ctx: GateContext, paths: list[str]) -> dict[str, str]:
    sources: dict[str, str] = {}
    for path in paths:
        try:
            sources[path] = ctx.path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read: {exc}") from None
    return sources


def _scope(ctx: GateContext, policy: MutationPolicy) -> tuple[Scope, dict[str, str], str]:
    """The scope, the sources read, and why nothing is in scope when that is so."""
    paths = policy.paths or ctx.policy.critical_paths
    where = ", ".join(paths)
    skip = ctx.policy.test_paths + policy.exclude
    if policy.scope == "all":
        files = [p for p in list_files(ctx.repo) if candidate(p, paths, skip)]
        sources = _read(ctx, [p for p in files if ctx.path(p).is_file()])
        return full_scope(sources), sources, f"no Python function in {where}"
    changed = [
        f.path for f in ctx.changes.files if f.status != "D" and candidate(f.path, paths, skip)
    ]
    sources = _read(ctx, [p for p in changed if ctx.path(p).is_file()])
    scope = changed_scope(sources, touched_lines(ctx.changes.diff_text))
    if not sources:
        return scope, sources, f"no change to Python code in {where} since {ctx.baseline.label}"
    return scope, sources, f"no changed function mutmut can mutate in {where}"


def _scope_notes(scope: Scope) -> list[Finding]:
    """Info findings on the changed code mutmut cannot mutate."""
    notes = [
        Finding(
            f"{function.qualname} is not mutated: {function.skip}",
            function.path,
            function.start,
            "info",
            "not-mutated",
        )
        for function in scope.skipped
    ]
    for path, lines in sorted(scope.outside.items()):
        shown = ", ".join(str(n) for n in lines[:10]) + (", ..." if len(lines) > 10 else "")
        notes.append(
            Finding(
                f"changed lines outside any function are not mutated by mutmut 3: {shown}",
                path,
                lines[0],
                "info",
                "not-mutated",
            )
        )
    return notes


def _expired_notes(accepted: list[Accepted], shown: str, today: dt.date) -> list[Finding]:
    return [
        Finding(f"{e.label} expired on {e.expires}", shown, None, "warning", "survivor-expired")
        for e in accepted
        if e.expired(today)
    ]


def run(ctx: GateContext) -> GateResult:
    """Judge the tests' strength on the changed critical functions."""
    policy = ctx.policy.mutation
    if not (policy.paths or ctx.policy.critical_paths):
        return GateResult(
            NAME, "skipped", reason="no critical_paths (or mutation.paths) in the policy"
        )
    started = time.monotonic()
    today = dt.datetime.now(dt.UTC).date()
    survivors_path = ctx.path(policy.survivors) if policy.survivors else None
    accepted = (
        load_survivors(survivors_path, policy.survivors)
        if survivors_path is not None and survivors_path.is_file()
        else []
    )
    findings = ctx.baseline_findings() if policy.scope == "changed" else []
    scope, sources, nothing = _scope(ctx, policy)
    not_mutated = _scope_notes(scope)
    notes = not_mutated + _expired_notes(accepted, policy.survivors, today)
    if not scope.functions:
        return GateResult(NAME, "skipped", reason=nothing, findings=findings + notes)
    python = policy.python or sys.executable
    if "/" in python and not Path(python).is_absolute():  # relative to the repository
        python = str(ctx.path(python).absolute())
    settings = runner.Settings(
        python=python,
        tests=policy.tests,
        pytest_args=policy.pytest_args,
        budget=policy.time_budget_seconds,
        seed=policy.seed,
        max_children=policy.max_children,
    )
    touched = touched_lines(ctx.changes.diff_text) if policy.scope == "changed" else {}
    lines = {path: text.splitlines() for path, text in sources.items()}
    if policy.scope == "changed" and policy.judge == "change":
        settings = replace(settings, first=focus.on_changed_lines(scope, lines, touched))
    progress = Progress.for_terminal(sys.stderr, ctx.environ)
    outcome = runner.run(ctx.repo, scope, settings, ctx.environ, progress)
    if not outcome.mutants and not outcome.failure:
        functions = len(scope.functions)
        reason = f"mutmut made no mutant of the {functions} function(s) in scope"
        return GateResult(NAME, "skipped", reason=reason, findings=findings + notes)
    judged: focus.Focus | None = None
    debt: tuple[list[Finding], list[Table]] = ([], [])
    if settings.first is not None and not outcome.failure:
        judged, debt = _focus(ctx, scope, outcome, sources, (lines, touched), settings, progress)
    verdict = judge(scope, outcome, accepted, lines, _rules(policy, today), focus=judged)
    metrics = verdict.metrics
    if policy.scope == "changed":
        metrics = {"baseline": ctx.baseline.label, "judge": policy.judge, **metrics}
    if judged is not None:
        metrics.update(old_debt=len(judged.debt), regressions=len(judged.regressions))
        metrics["seconds"] = round(time.monotonic() - started, 1)
    return GateResult(
        NAME,
        verdict.status,
        summary=verdict.summary,
        reason=verdict.reason,
        findings=findings + verdict.findings + debt[0] + not_mutated,
        metrics=metrics,
        tables=verdict.tables + debt[1],
    )


def _focus(  # noqa: PLR0917 - one private call site
    ctx: GateContext,
    scope: Scope,
    outcome: runner.Outcome,
    sources: Mapping[str, str],
    where: tuple[Mapping[str, list[str]], Mapping[str, set[int]]],
    settings: runner.Settings,
    progress: Progress,
) -> tuple[focus.Focus, tuple[list[Finding], list[Table]]]:
    """Which mutants judge the change; the survivors outside its lines meet their twins."""
    lines, touched = where
    placed = focus.place(scope, outcome, lines)
    inside, outside = focus.split(placed, touched)
    # Survivors on the changed lines meet their twins too: a moved line has one.
    survivors = outside + [
        p for p in placed if p.mutant.name in inside and p.mutant.status in focus.SURVIVING
    ]
    twins = baseline.Twins()
    if survivors and ctx.baseline.sha:
        # The rest of the budget, but at least what preparing took twice (mutmut's stats and
        # clean runs on the baseline, then the twins' run): an interrupted preparation
        # compares nothing.
        left = max(
            ctx.policy.mutation.time_budget_seconds - outcome.seconds,
            3 * outcome.prepare_seconds,
        )
        try:
            twins = baseline.compare(
                ctx.repo,
                ctx.baseline.sha,
                survivors,
                changed=ctx.changes.files,
                sources=sources,
                settings=settings,
                environ=ctx.environ,
                progress=progress,
                deadline=time.monotonic() + max(left, MIN_COMPARE),
            )
        finally:
            progress.done()
    judged = focus.focus(inside, survivors, twins.statuses, twins.notes)
    return judged, focus.report(judged, placed)


def _rules(policy: MutationPolicy, today: dt.date) -> Rules:
    return Rules(
        threshold=policy.threshold,
        survivors_file=policy.survivors,
        seed=policy.seed,
        budget=policy.time_budget_seconds,
        today=today,
    )
