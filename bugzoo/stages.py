"""The pipeline's stages, each a command run in the patched worktree and its one-line result.

- ``tests``: the selected tests (``tests/unit`` by default) under coverage, with a JUnit report,
  as ``nox -s tests`` runs them, importing the patched tree (also in the servers live suites
  start); blocked when a test fails.
- ``coverage``, ``api-compat``, ``incidents``, ``behaviour``, ``replay``, ``mutation``: the
  ``quality-gates`` command of that name against the baseline commit, read from its JSON report.
  ``mutation`` runs only on the patches of ``Settings.mutation_slugs`` (a sample:
  ``bugzoo/sampling.py``).

A stage that cannot judge (a timeout, bad input, a crash) is an ``error``, never a pass. The
gates run with the interpreter running the zoo, from the worktree (``python -m``), so they see
the patched tree exactly as CI would.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from bugzoo import proc, selection
from bugzoo.names import STATUSES, Status
from bugzoo.results import StageResult
from quality_gates.errors import InputError
from quality_gates.incident.junit import load_junit
from quality_gates.testmap.store import TestMap

JUNIT = "reports/junit.xml"
#: authsvc's argon2id at 1 MiB and one pass instead of 19 MiB and two (bench/ uses the same):
#: the replay's cost is the hashing; both versions run with it.
FAST_ARGON2 = {"AUTHSVC_ARGON2_MEMORY_COST": "1024", "AUTHSVC_ARGON2_TIME_COST": "1"}
_SHOWN_FAILURES = 3


@dataclass(frozen=True)
class Settings:
    """How the stages run. The defaults are the zoo's budget (docs/bugzoo.md)."""

    stages: tuple[str, ...]
    pytest_args: tuple[str, ...] = ("tests/unit",)
    accounts: int = 100
    legacy_costs: str = "low"
    fast_hashing: bool = True
    replay_cache: Path | None = None
    python: str = sys.executable
    tests_timeout: float = 900.0
    gate_timeout: float = 300.0
    replay_timeout: float = 1200.0
    mutation_budget: float = 180.0  # the gate's --mutation-budget, per patch
    mutation_slugs: frozenset[str] = frozenset()  # the patches the mutation stage runs on
    first_block: bool = False  # a buggy patch stops at its first blocking stage (pipeline.py)
    test_map: TestMap | None = field(default=None, repr=False)  # None: no test selection
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)

    def describe(self) -> dict[str, object]:
        """What the reports say about how the run was made."""
        return {
            "tests": " ".join(self.pytest_args),
            "accounts": self.accounts,
            "legacy_costs": self.legacy_costs,
            "fast_hashing": self.fast_hashing,
            "mutation_patches": len(self.mutation_slugs),
            "mutation_budget": self.mutation_budget,
            "test_selection": self.test_map is not None,
            "first_block": self.first_block,
        }


@dataclass(frozen=True)
class StageContext:
    """One patched worktree, the baseline commit it is judged against, and the settings."""

    worktree: Path
    base: str
    settings: Settings
    body: Path | None = None  # the patch's pull-request body (``<slug>.md``), when it has one
    slug: str = ""

    def run(self, args: Sequence[str], timeout: float, **env: str) -> proc.Completed:
        """Run ``args`` in the worktree, with a clean environment plus ``env``."""
        environ = proc.clean_env(self.settings.environ, **env)
        return proc.run(args, cwd=self.worktree, env=environ, timeout=timeout)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _gate_dict(
    stage: str, status: Status, summary: str, findings: Sequence[str] = ()
) -> dict[str, Any]:
    """A gate result (``quality-gates`` JSON) for a stage that is not a gate."""
    return {
        "gate": stage,
        "status": status,
        "summary": summary if status in ("pass", "fail") else "",
        "reason": summary if status in ("error", "skipped") else "",
        "findings": [
            {"message": message, "path": None, "line": None, "severity": "error", "rule_id": None}
            for message in findings
        ],
        "metrics": {},
    }


def _error(stage: str, reason: str, seconds: float) -> StageResult:
    return StageResult(stage, "error", reason, seconds, _gate_dict(stage, "error", reason))


def patched_imports(worktree: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """``PYTHONPATH`` with the patched worktree first.

    The zoo's interpreter has the main checkout installed (editable), and live suites start
    their servers (``authsvc serve``, ``python -m uvicorn``) from other folders: without this
    they would import the main checkout's code and judge the baseline, not the patch.
    """
    rest = environ.get("PYTHONPATH", "")
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(worktree), rest]))}


def run_tests(ctx: StageContext) -> StageResult:
    """The selected tests under coverage (branch data for the coverage gate, JUnit for the
    incident gate), then ``coverage combine``; blocked when a test fails."""
    settings = ctx.settings
    env = {
        "COVERAGE_FILE": str(ctx.worktree / ".coverage"),
        "HYPOTHESIS_PROFILE": settings.environ.get("HYPOTHESIS_PROFILE", "dev"),
        **patched_imports(ctx.worktree, settings.environ),
    }
    (ctx.worktree / "reports").mkdir(exist_ok=True)
    tests, selected = selection.tests_for(
        ctx.worktree, ctx.base, settings.pytest_args, settings.test_map
    )
    coverage = [settings.python, "-m", "coverage"]
    # A fixed Hypothesis seed: the same examples on every run, a verdict never up to luck.
    pytest = ["run", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-seed=0"]
    done = ctx.run(
        [*coverage, *pytest, f"--junitxml={JUNIT}", *tests],
        settings.tests_timeout,
        **env,
    )
    if done.timed_out:
        return _error("tests", f"timed out after {settings.tests_timeout:.0f}s", done.seconds)
    combined = ctx.run([*coverage, "combine", "--quiet"], settings.gate_timeout, **env)
    seconds = done.seconds + combined.seconds
    if combined.returncode not in (0, 1):  # 1: nothing to combine
        return _error("tests", f"coverage combine: {_last_line(combined.stderr)}", seconds)
    try:
        cases = load_junit(ctx.worktree / JUNIT, JUNIT)
    except InputError as exc:
        return _error("tests", f"pytest exited {done.returncode}: {exc}", seconds)
    failed = [f"{c.classname}::{c.name}" for c in cases if c.outcome == "failed"]
    if done.returncode == 0 and not failed:
        summary = f"{len(cases)} tests passed" + (f" (selected: {selected})" if selected else "")
        return StageResult("tests", "pass", summary, seconds, _gate_dict("tests", "pass", summary))
    if done.returncode != 1 or not failed:  # usage error, internal error, no tests collected
        last = _last_line(done.stdout) or _last_line(done.stderr)
        return _error("tests", f"pytest exited {done.returncode}: {last}", seconds)
    shown = ", ".join(failed[:_SHOWN_FAILURES]) + (", …" if len(failed) > _SHOWN_FAILURES else "")
    summary = f"{len(failed)} of {len(cases)} tests failed: {shown}"
    gate = _gate_dict("tests", "fail", summary, [f"failed: {name}" for name in failed])
    return StageResult("tests", "fail", summary, seconds, gate)


def _read_gate(stdout: str) -> dict[str, Any] | None:
    """The one gate result of a ``--format json`` report, or ``None`` when there is none."""
    try:
        result = json.loads(stdout)["gates"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if not isinstance(result, dict) or result.get("status") not in STATUSES:
        return None
    return cast("dict[str, Any]", result)


def _quality_gate(
    ctx: StageContext, gate: str, args: Sequence[str], timeout: float, **env: str
) -> StageResult:
    """``quality-gates GATE`` in the worktree against the baseline, read from its JSON report."""
    command = [
        ctx.settings.python,
        "-m",
        "quality_gates",
        gate,
        "--repo",
        ".",
        "--baseline",
        ctx.base,
    ]
    done = ctx.run([*command, "--format", "json", *args], timeout, **env)
    if done.timed_out:
        return _error(gate, f"timed out after {timeout:.0f}s", done.seconds)
    result = _read_gate(done.stdout)
    if result is None:
        reason = _last_line(done.stderr) or _last_line(done.stdout) or f"exit {done.returncode}"
        return _error(gate, reason.removeprefix("quality-gates: "), done.seconds)
    status = cast("Status", result["status"])
    return StageResult(gate, status, _reason(result), done.seconds, result)


def _reason(result: Mapping[str, Any]) -> str:
    """The one-line reason of a gate result: its detail, and why when it failed."""
    status = result["status"]
    detail = str(result.get("reason") if status in ("error", "skipped") else result.get("summary"))
    errors = [f for f in result.get("findings", []) if f.get("severity") == "error"]
    if status == "fail" and errors and result.get("gate") != "replay":  # replay: its headline
        first = errors[0]
        rule = f"[{first['rule_id']}] " if first.get("rule_id") else ""
        detail = f"{detail}: {rule}{first['message']}"
    return " ".join(detail.split()) or status


def run_coverage(ctx: StageContext) -> StageResult:
    """The coverage gate on the tests stage's data. The total floor is left out (``0``): it
    is set for the whole suite over both packages, and the zoo runs a subset; the per-path
    floors and every changed critical line are judged as in CI. When the tests stage ran a
    selection, the per-path floors are left out too (a selection measures only what the
    change touches); the changed lines are judged on the same data as the whole suite's."""
    settings = ctx.settings
    _, selected = selection.tests_for(
        ctx.worktree, ctx.base, settings.pytest_args, settings.test_map
    )
    floors = [
        "--coverage-fail-under",
        "0",
        *(["--coverage-critical-fail-under", "0"] if selected else []),
    ]
    return _quality_gate(ctx, "coverage", floors, settings.gate_timeout)


def run_api_compat(ctx: StageContext) -> StageResult:
    """The API-compatibility gate: snapshot drift and breaking changes since the baseline."""
    return _quality_gate(ctx, "api-compat", [], ctx.settings.gate_timeout)


def run_incidents(ctx: StageContext) -> StageResult:
    """The incident gate on the tests stage's JUnit report."""
    return _quality_gate(ctx, "incidents", ["--incidents-junit", JUNIT], ctx.settings.gate_timeout)


def run_replay(ctx: StageContext) -> StageResult:
    """The replay gate: the baseline and the patched tree side by side on a population."""
    settings = ctx.settings
    args = [
        "--replay-baseline",
        ctx.base,
        "--replay-accounts",
        str(settings.accounts),
        "--replay-legacy-costs",
        settings.legacy_costs,
        "--replay-timeout",
        str(int(settings.replay_timeout)),
    ]
    if settings.replay_cache is not None:
        args += ["--replay-cache", str(settings.replay_cache)]
    env = FAST_ARGON2 if settings.fast_hashing else {}
    # The gate's own budget first; the process limit only catches a hang past it.
    return _quality_gate(ctx, "replay", args, settings.replay_timeout + 120, **env)


def run_behaviour(ctx: StageContext) -> StageResult:
    """The behaviour gate: the baseline's versions of the test files the patch edits, run on
    the patched code; each test they catch must be declared in the patch's ``<slug>.md``. The
    zoo has no reviewers, so approvals are not judged (``--checklist-min-approvals 0``)."""
    args = ["--checklist-min-approvals", "0"]
    if ctx.body is not None:
        args += ["--body-file", str(ctx.body)]
    return _quality_gate(ctx, "behaviour", args, ctx.settings.gate_timeout)


def run_mutation(ctx: StageContext) -> StageResult:
    """The mutation gate on the patch's change (judged against the baseline, the repository's
    policy), with the zoo's per-patch budget; past it the gate samples its mutants."""
    budget = ctx.settings.mutation_budget
    # The budget covers the run; the baseline comparison may take up to three preparations more.
    return _quality_gate(ctx, "mutation", ["--mutation-budget", f"{budget:g}"], 3 * budget + 300)


RUNNERS: dict[str, Callable[[StageContext], StageResult]] = {
    "tests": run_tests,
    "coverage": run_coverage,
    "api-compat": run_api_compat,
    "incidents": run_incidents,
    "replay": run_replay,
    "behaviour": run_behaviour,
    "mutation": run_mutation,
}

#: Stages that read what an earlier one wrote run after it, in one lane; the lanes run side
#: by side. ``coverage`` and ``incidents`` read the ``tests`` stage's data.
LANES: tuple[tuple[str, ...], ...] = (
    ("tests", "coverage", "incidents"),
    ("replay", "api-compat", "behaviour"),
    ("mutation",),
)
