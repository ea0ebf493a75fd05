"""The behaviour-change gate: the baseline's version of every test file the change modifies,
renames or deletes (or whose conftest, helper or data file it changes), run against the
candidate's code.

A test that passes on the baseline and fails (or no longer exists, or no longer collects) on the
candidate is a behaviour change: the change altered what the old test pinned down, whatever the
edited test now says. Each one must be declared in the pull-request body
(``behaviour-change: <node id> — why``, see ``quality_gates.review.declarations``) and the
change must have the approvals the policy asks for (``checklist.min_approvals``). The report
shows the old test's failure for each. Only the changed test files are run, twice: in the
baseline's tree and in the candidate's code with the baseline's tests (``behaviour.trees``).
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from quality_gates.behaviour.rerun import Run, run_tests
from quality_gates.behaviour.trees import extract_commit, overlay_code_changes, rerun_files
from quality_gates.context import AddOptions, GateContext
from quality_gates.errors import InputError
from quality_gates.gates.checklist import add_pull_request_arguments, pull_request
from quality_gates.result import Finding, GateResult, MetricValue
from quality_gates.review.declarations import (
    Declaration,
    malformed_findings,
    parse_declarations,
)
from quality_gates.review.pull_request import PullRequest, load_approvals

NAME = "behaviour"
HELP = "behaviour changes: the baseline's versions of the changed tests, run on the candidate"
#: Its approvals rule is the checklist's (``checklist.min_approvals``).
SECTIONS: tuple[str, ...] = ("behaviour", "checklist")
#: The pull request's options, shared with the checklist gate.
OPTIONS: tuple[AddOptions, ...] = (add_pull_request_arguments,)
_DETAIL_CHARS = 400
_GONE = "not run on the candidate (its parameters come from the code, or its file does not load)"


@dataclass(frozen=True)
class Change:
    """A test that passed on the baseline and does not on the candidate."""

    node_id: str
    failure: str

    @property
    def path(self) -> str:
        """The test file, as on the baseline."""
        return self.node_id.split("::", 1)[0]


def _one_line(text: str) -> str:
    flat = " | ".join(line.strip() for line in text.splitlines() if line.strip())
    return flat if len(flat) <= _DETAIL_CHARS else flat[: _DETAIL_CHARS - 1] + "…"


def compare(before: Run, after: Run) -> tuple[list[Change], list[Finding]]:
    """Behaviour changes, and warnings (a test now skipped, a file broken on the baseline)."""
    changes: list[Change] = []
    warnings = [
        Finding(
            f"does not collect on the baseline either, not judged: {_one_line(why)}",
            path=path,
            severity="warning",
            rule_id="baseline-broken",
        )
        for path, why in sorted(before.broken.items())
    ]
    for node_id, old in sorted(before.outcomes.items()):
        if old.outcome != "passed":
            continue
        new = after.outcomes.get(node_id)
        if new is None:
            why = after.broken.get(node_id.split("::", 1)[0])
            changes.append(Change(node_id, why or _GONE))
        elif new.outcome == "failed":
            changes.append(Change(node_id, new.detail or "failed"))
        elif new.outcome == "skipped":
            warnings.append(
                Finding(
                    f"{node_id} passed on the baseline and is skipped on the candidate: "
                    f"{_one_line(new.detail) or 'skipped'}",
                    path=node_id.split("::", 1)[0],
                    severity="warning",
                    rule_id="behaviour-skipped",
                )
            )
    return changes, warnings


def _declaration_findings(
    changes: list[Change], declarations: list[Declaration], before: Run, pr: PullRequest | None
) -> list[Finding]:
    findings: list[Finding] = []
    for change in changes:
        declared = next((d for d in declarations if d.covers(change.node_id)), None)
        failure = _one_line(change.failure)
        if declared is not None:
            findings.append(
                Finding(
                    f"declared behaviour change {change.node_id} (line {declared.line}: "
                    f"{declared.reason}); the old test now fails: {failure}",
                    path=change.path,
                    severity="info",
                    rule_id="behaviour-declared",
                )
            )
            continue
        where = "" if pr is not None else " (no pull request body to declare it in)"
        findings.append(
            Finding(
                f"undeclared behaviour change{where}: {change.node_id} passed on the baseline "
                f"and fails on the candidate: {failure}; declare it with "
                f"'behaviour-change: {change.node_id} — why' in the pull-request body",
                path=change.path,
                rule_id="behaviour-undeclared",
            )
        )
    for declaration in declarations:
        if any(declaration.covers(change.node_id) for change in changes):
            continue
        if any(declaration.covers(node) for node in before.outcomes):
            findings.append(
                Finding(
                    f"line {declaration.line}: {declaration.node_id} is declared but passes on "
                    "the candidate: no behaviour change to declare",
                    severity="warning",
                    rule_id="declaration-unneeded",
                )
            )
        else:
            findings.append(
                Finding(
                    f"line {declaration.line}: behaviour-change {declaration.node_id} names no "
                    "test of the baseline's changed test files (ids are as on the baseline: the "
                    "old path and name)",
                    rule_id="declaration-unknown",
                )
            )
    return findings


def _approvals(ctx: GateContext, pr: PullRequest, metrics: dict[str, MetricValue]) -> list[Finding]:
    need = ctx.policy.checklist.min_approvals
    if need == 0:
        return []
    if not ctx.inputs.reviews:
        raise InputError(
            f"behaviour changes need {need} approval(s) (checklist.min_approvals): give "
            "--reviews FILE (the JSON of GET /repos/OWNER/REPO/pulls/N/reviews)"
        )
    approved = load_approvals(ctx.inputs.reviews, pr.author).approved
    metrics["approvals"] = len(approved)
    if len(approved) >= need:
        return []
    return [
        Finding(
            f"behaviour changes need {need} approval(s) by reviewers other than the author, "
            f"{len(approved)} given",
            rule_id="approvals",
        )
    ]


def _rerun(ctx: GateContext, sha: str, files: list[str]) -> tuple[Run, Run] | None:
    """Both runs; None when the change touches no code, so both trees would be the same."""
    policy = ctx.policy.behaviour

    def tests_in(tree: Path) -> Run:
        return run_tests(
            tree,
            files,
            python=sys.executable,
            pytest_args=policy.pytest_args,
            timeout=policy.timeout,
            environ=ctx.environ,
        )

    with tempfile.TemporaryDirectory(prefix="quality-gates-behaviour-") as tmp:
        candidate = extract_commit(ctx.repo, sha, Path(tmp) / "candidate")
        if not overlay_code_changes(ctx.repo, ctx.changes, ctx.policy.test_paths, candidate):
            return None
        before = tests_in(extract_commit(ctx.repo, sha, Path(tmp) / "baseline"))
        after = tests_in(candidate)
    return before, after


def run(ctx: GateContext) -> GateResult:
    """Judge the change's edits to existing tests."""
    pr = pull_request(ctx)  # first: an unreadable body is bad input even with nothing to judge
    sha = ctx.baseline.sha
    if sha is None:
        return GateResult(NAME, "skipped", reason="no baseline commit to take the tests from")
    policy = ctx.policy
    files = rerun_files(ctx.repo, sha, ctx.changes, policy.test_paths, policy.behaviour.test_files)
    if not files:
        reason = (
            f"no existing test, or support file a test uses, changed since {ctx.baseline.label}"
        )
        return GateResult(NAME, "skipped", reason=reason)
    declarations, problems = parse_declarations(pr.body) if pr is not None else ([], [])
    findings = ctx.baseline_findings()
    findings += malformed_findings(problems)
    metrics: dict[str, MetricValue] = {"test_files": len(files)}
    runs = _rerun(ctx, sha, files)
    if runs is None:
        summary = f"only tests changed: the baseline's {len(files)} file(s) judge the same code"
        return GateResult(NAME, "pass", summary=summary, findings=findings, metrics=metrics)
    before, after = runs
    changes, warnings = compare(before, after)
    findings += warnings + _declaration_findings(changes, declarations, before, pr)
    metrics["baseline_passed"] = sum(o.outcome == "passed" for o in before.outcomes.values())
    metrics["behaviour_changes"] = len(changes)
    if (
        changes
        and pr is not None
        and not any(f.rule_id == "behaviour-undeclared" for f in findings)
    ):
        findings += _approvals(ctx, pr, metrics)
    return _verdict(findings, metrics, changes)


def _verdict(
    findings: list[Finding], metrics: dict[str, MetricValue], changes: list[Change]
) -> GateResult:
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        undeclared = sum(f.rule_id == "behaviour-undeclared" for f in errors)
        summary = (
            f"{undeclared} undeclared behaviour change(s) of {len(changes)}"
            if undeclared
            else (errors[0].message if len(errors) == 1 else f"{len(errors)} problems")
        )
        return GateResult(NAME, "fail", summary=summary, findings=findings, metrics=metrics)
    passed = metrics.get("baseline_passed", 0)
    summary = (
        f"{len(changes)} behaviour change(s), each declared"
        + (" and approved" if "approvals" in metrics else "")
        if changes
        else f"no behaviour change: the baseline's {passed} passing test(s) pass on the candidate"
    )
    return GateResult(NAME, "pass", summary=summary, findings=findings, metrics=metrics)
