"""The API-compatibility gate.

Two checks on the OpenAPI document. Drift: the committed snapshot must equal what the app
generates now (``api_compat.command``, or ``--spec``), or reviewers read a contract that is not
the real one. Compatibility: the candidate (the generated document when there is one, else the
snapshot) against the snapshot committed at the baseline (``git show <base>:<snapshot>``), with
oasdiff's rule ids and levels and auth-aware ERRs; waivers accept a change until they expire.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from quality_gates import git
from quality_gates.context import AddOptions, GateContext
from quality_gates.errors import InputError
from quality_gates.openapi.changes import LEVEL_ORDER, Change
from quality_gates.openapi.document import load_document
from quality_gates.openapi.rules import compare
from quality_gates.openapi.waivers import Waiver, load_waivers
from quality_gates.result import Finding, GateResult, MetricValue, Severity

NAME = "api-compat"
HELP = "API compatibility: snapshot drift and breaking changes since the baseline"
SECTIONS: tuple[str, ...] = ("api_compat",)
SEVERITY: dict[str, Severity] = {"ERR": "error", "WARN": "warning", "INFO": "info"}
MAX_DRIFT_DETAILS = 10


def add_spec_option(parser: argparse._ActionsContainer) -> None:
    """``--api-compat-spec``: a document generated elsewhere (not a policy key: it is per run)."""
    parser.add_argument(
        "--api-compat-spec",
        metavar="PATH",
        dest="spec",
        help="the generated OpenAPI document, instead of running api_compat.command",
    )


OPTIONS: tuple[AddOptions, ...] = (add_spec_option,)


def _generate(ctx: GateContext) -> tuple[str, str] | None:
    """The generated document's text and a label, or None when there is no way to get it."""
    if ctx.inputs.spec:
        path = Path(ctx.inputs.spec)
        try:
            return path.read_text(encoding="utf-8"), f"--spec {path}"
        except OSError as exc:
            raise InputError(f"--spec {path}: cannot read: {exc.strerror}") from None
    policy = ctx.policy.api_compat
    if not policy.command:
        return None
    # "python" means the interpreter running the gates, so the command sees the same packages.
    command = [
        sys.executable if policy.command[0] == "python" else policy.command[0],
        *policy.command[1:],
    ]
    shown = shlex.join(policy.command)
    try:
        completed = subprocess.run(  # noqa: S603 - the policy's own command, no shell
            command,
            cwd=ctx.repo,
            capture_output=True,
            text=True,
            timeout=policy.command_timeout,
            check=False,
        )
    except FileNotFoundError:
        raise InputError(f"api_compat.command `{shown}`: {command[0]} not found") from None
    except subprocess.TimeoutExpired:
        raise InputError(
            f"api_compat.command `{shown}`: no answer in {policy.command_timeout:g}s"
        ) from None
    if completed.returncode != 0:
        tail = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise InputError(f"api_compat.command `{shown}` exited {completed.returncode}: {tail}")
    return completed.stdout, f"`{shown}`"


def _differences(a: Any, b: Any, pointer: str = "") -> list[str]:
    """JSON pointers where two documents differ (the first few)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b), key=str):
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            if key not in a or key not in b:
                out.append(f"{pointer}/{escaped} {'added' if key in b else 'removed'}")
            else:
                out += _differences(a[key], b[key], f"{pointer}/{escaped}")
            if len(out) >= MAX_DRIFT_DETAILS:
                break
        return out
    return [] if a == b else [f"{pointer or '/'} differs"]


def _baseline_changes(ctx: GateContext, candidate: dict[str, Any]) -> list[Change] | None:
    """Changes since the baseline's snapshot; None when there is no baseline at all."""
    snapshot = ctx.policy.api_compat.snapshot
    sha = ctx.baseline.sha
    if sha is None:
        return None
    text = git.show_file(ctx.repo, sha, snapshot)
    base = (
        load_document(text, f"{snapshot} at {sha[:7]}")
        if text is not None
        else {**candidate, "paths": {}}  # a new API: every endpoint is added, nothing else
    )
    return compare(base, candidate, ctx.policy.api_compat.token_fields)


def _judge_changes(
    changes: list[Change], waivers: list[Waiver], fail_on: str, today: dt.date
) -> tuple[list[Finding], int]:
    findings: list[Finding] = []
    blocking = 0
    used: set[int] = set()
    for change in changes:
        waiver = next((w for w in waivers if w.matches(change)), None)
        if waiver is not None and waiver.expires >= today:
            used.add(waiver.index)
            findings.append(
                Finding(
                    f"waived until {waiver.expires} by {waiver.owner} ({waiver.reason}): "
                    f"{change.text}",
                    severity="info",
                    rule_id=change.rule_id,
                )
            )
            continue
        if LEVEL_ORDER[change.level] >= LEVEL_ORDER["ERR" if fail_on == "ERR" else "WARN"]:
            blocking += 1
        findings.append(
            Finding(
                f"{change.level} {change.text}",
                severity=SEVERITY[change.level],
                rule_id=change.rule_id,
            )
        )
    for waiver in waivers:
        if waiver.expires < today:
            blocking += 1
            findings.append(
                Finding(
                    f"waiver[{waiver.index}] ({waiver.rule} at {waiver.path}, owner "
                    f"{waiver.owner}) expired on {waiver.expires}: fix the change or renew it",
                    rule_id="waiver-expired",
                )
            )
        elif waiver.index not in used:
            findings.append(
                Finding(
                    f"waiver[{waiver.index}] ({waiver.rule} at {waiver.path}) matches no change: "
                    "delete it",
                    severity="warning",
                    rule_id="waiver-unused",
                )
            )
    return findings, blocking


def run(ctx: GateContext) -> GateResult:
    """Judge the API."""
    policy = ctx.policy.api_compat
    if not policy.snapshot:
        return GateResult(NAME, "skipped", reason="no api_compat.snapshot in the policy")
    snapshot_path = ctx.path(policy.snapshot)
    try:
        committed = load_document(snapshot_path.read_text(encoding="utf-8"), policy.snapshot)
    except OSError as exc:
        raise InputError(
            f"api_compat.snapshot {policy.snapshot}: cannot read: {exc.strerror}"
        ) from None
    # A missing waivers file means "no waivers": it can only make the gate stricter.
    waivers_path = ctx.path(policy.waivers) if policy.waivers else None
    waivers = (
        load_waivers(waivers_path, policy.waivers) if waivers_path and waivers_path.exists() else []
    )
    findings = ctx.baseline_findings()
    metrics: dict[str, MetricValue] = {"baseline": ctx.baseline.label}
    generated = _generate(ctx)
    candidate = committed
    if generated is not None:
        candidate = load_document(generated[0], f"the generated document ({generated[1]})")
        drift = _differences(committed, candidate)
        metrics["drift"] = int(bool(drift))
        if drift:
            findings.append(
                Finding(
                    f"snapshot drift: {policy.snapshot} differs from {generated[1]}; "
                    "regenerate and commit it",
                    path=policy.snapshot,
                    rule_id="snapshot-drift",
                )
            )
            findings += [Finding(d, severity="info", rule_id="snapshot-drift") for d in drift]
    changes = _baseline_changes(ctx, candidate)
    today = dt.datetime.now(dt.UTC).date()
    change_findings, blocking = _judge_changes(changes or [], waivers, policy.fail_on, today)
    findings += change_findings
    for level in ("ERR", "WARN", "INFO"):
        metrics[level.lower()] = sum(1 for c in changes or [] if c.level == level)
    blocking += metrics.get("drift", 0) == 1
    if blocking:
        return GateResult(
            NAME,
            "fail",
            summary=f"{blocking} blocking problem(s)",
            findings=findings,
            metrics=metrics,
        )
    if changes is None and generated is None:
        return GateResult(
            NAME,
            "skipped",
            reason="no baseline and no api_compat.command: nothing to compare",
            findings=findings,
            metrics=metrics,
        )
    if not changes and generated is None:
        return GateResult(
            NAME,
            "skipped",
            reason=f"no API change since {ctx.baseline.label} "
            "(drift not checked: no api_compat.command)",
            findings=findings,
            metrics=metrics,
        )
    parts = ["no drift"] if generated is not None else ["drift not checked (no command)"]
    parts.append(
        f"{len(changes or [])} API change(s), none blocking" if changes else "no API change"
    )
    return GateResult(NAME, "pass", summary="; ".join(parts), findings=findings, metrics=metrics)
