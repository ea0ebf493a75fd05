"""``docs/catch-matrix.md``: which stage blocked which patch, rendered from a :class:`ZooRun`.

Deterministic (no clock, no machine name): the same results give the same text, so the file
changes only when a verdict, a share or a run time does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bugzoo.names import NOT_RUN
from bugzoo.pipeline import FIRST_BLOCK_ORDER, SYMBOLS
from bugzoo.results import PatchResult, ZooRun, judge

PATCH_LINK = "../bugzoo/patches/{name}"


def _cell(text: str) -> str:
    """Table-safe text: no pipe, no line break."""
    return " ".join(text.replace("|", "\\|").split())


def duration(seconds: float) -> str:
    """``42 s`` or ``13 min 05 s``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    return f"{whole // 60} min {whole % 60:02d} s"


def _mark(patch: PatchResult, stage: str) -> str:
    result = patch.stage(stage)
    return "-" if result is None else SYMBOLS[result.status]


def _expected(patch: PatchResult) -> str:
    spec = patch.spec
    if spec.kind == "benign":
        return "none"
    return ", ".join(spec.expected_gates)


def _outcome(patch: PatchResult) -> str:
    if patch.spec.kind == "bug":
        return "blocked" if patch.blocked_by else "**got through**"
    return "**false alarm**" if patch.blocked_by or patch.errors else "passed"


def _gate_table(run: ZooRun, patches: Sequence[PatchResult]) -> list[str]:
    header = ["patch", "class", *run.stages, "expected to block", "outcome", "time"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for patch in patches:
        spec = patch.spec
        link = f"[{spec.slug}]({PATCH_LINK.format(name=spec.patch.name)})"
        cells = [link, spec.bug_class, *(_mark(patch, s) for s in run.stages)]
        cells += [_expected(patch), _outcome(patch), duration(patch.seconds)]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def _hits_table(patches: Sequence[PatchResult]) -> list[str]:
    lines = [
        "| patch | who it hits | share (metadata) | replay measured | precedent |",
        "| --- | --- | --- | --- | --- |",
    ]
    for patch in patches:
        spec = patch.spec
        precedent = f"[link]({spec.precedent})" if spec.precedent else "none found"
        replay = patch.stage("replay")
        if replay is None or replay.status == "not-run":
            measured = "not run"
        elif replay.status == "fail":
            measured = replay.reason
        else:
            measured = f"no regression ({replay.status})" if replay.status != "error" else "error"
        cells = [spec.slug, spec.hits, spec.share, measured, precedent]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def _reasons(patches: Sequence[PatchResult]) -> list[str]:
    lines = []
    for patch in patches:
        spec = patch.spec
        applied = " (applied with --3way)" if patch.applied == "3way" else ""
        lines += ["", f"**{spec.slug}** — {_cell(spec.title)}{applied}", ""]
        lines += [
            f"- {s.stage} - not run: {_cell(s.reason)}"
            if s.status == "not-run"
            else f"- {s.stage} {SYMBOLS[s.status]} {s.status}: {_cell(s.reason)} "
            f"({duration(s.seconds)})"
            for s in patch.stages
        ]
    return lines


def _mutation_line(settings: Mapping[str, object]) -> list[str]:
    """How the mutation stage was sampled (results written before it had none)."""
    if "mutation_patches" not in settings:
        return []
    return [
        f"- mutation: on {settings['mutation_patches']} patches (- elsewhere), benign and buggy "
        "ones whose change is in mutated code, sampled with the baseline commit as seed "
        f"(`--mutation-sample`); budget {duration(float(str(settings.get('mutation_budget'))))} "
        "a patch"
    ]


def _mode(settings: Mapping[str, object]) -> tuple[list[str], str]:
    """A note to open a first-block run's matrix with (its - are not passes), and the mode."""
    if not settings.get("first_block"):
        full = "full, every stage on every patch (CI runs `--first-block`: docs/bugzoo.md)"
        return [], f"- mode: {full}"
    note = (
        "**Not the full matrix: a first-block run** (`--first-block`, as CI runs it). Each buggy "
        "update stopped at the first stage that blocked it, the stages tried cheapest first "
        f"({', '.join(FIRST_BLOCK_ORDER)}); a - after it means not run, not passed. Benign "
        "updates ran every stage. `nox -s bugzoo` writes the full matrix."
    )
    return [note, ""], "- mode: first-block, each buggy patch up to the first stage that blocks it"


def render(run: ZooRun) -> str:
    """The catch matrix as Markdown."""
    verdict = judge(run)
    bugs = [p for p in run.patches if p.spec.kind == "bug"]
    benign = [p for p in run.patches if p.spec.kind == "benign"]
    settings = run.settings
    count = len(run.patches)
    each = duration(run.seconds / count) if count else "0 s"
    hashing = "fast argon2id (1 MiB, t=1)" if settings.get("fast_hashing") else "authsvc's argon2id"
    replay = (
        f"{settings.get('accounts', '?')} accounts, legacy costs {settings.get('legacy_costs')}"
    )
    not_run = "; ".join(f"{name} ({why})" for name, why in NOT_RUN.items())
    note, mode = _mode(settings)
    lines = [
        "# Catch matrix",
        "",
        "<!-- Written by `python -m bugzoo run`; do not edit. docs/bugzoo.md explains it. -->",
        "",
        "Which stage of the pre-merge gate blocks each update of the [bug zoo](bugzoo.md):",
        "**✓** blocked (the stage failed), **·** passed, **!** error (could not judge), - not run.",
        "",
        *note,
        f"- command: `{run.command}` (`nox -s bugzoo` runs it, with the arguments after `--`)",
        mode,
        f"- baseline: `{run.base[:12]}`; stages: {', '.join(run.stages)}",
        f"- tests: `{settings.get('tests', '')}` under coverage; replay: {replay}, {hashing}",
        f"- {count} patches in {duration(run.seconds)} ({each} a patch on average, "
        f"{settings.get('jobs', 1)} at a time); {duration(run.cpu_seconds)} of CPU time",
        *_mutation_line(settings),
        f"- not run per patch: {not_run}",
        "",
    ]
    if verdict.problems:
        lines += ["**Verdict: failed.**", "", *(f"- {p}" for p in verdict.problems), ""]
    else:
        lines += [
            f"**Verdict: passed** — all {len(bugs)} buggy updates blocked, "
            f"all {len(benign)} benign updates passed.",
            "",
        ]
    if bugs:
        lines += ["## Buggy updates", "", *_gate_table(run, bugs), ""]
    if benign:
        lines += ["## Benign updates (the false-alarm check)", "", *_gate_table(run, benign), ""]
    if bugs:
        lines += ["## Who each bug hits", "", *_hits_table(bugs), ""]
    lines += ["## Expected and actual", ""]
    ran = " (of those that ran)" if settings.get("first_block") else ""
    lines += [f"- {w}" for w in verdict.warnings] or [
        f"Every patch was blocked by the stages expected{ran}."
    ]
    lines += ["", "## Each stage's reason", *_reasons(run.patches), ""]
    return "\n".join(lines)
