"""The review-checklist gate.

Judges the pull request against the policy: each checklist item whose paths the change touches
must be ticked (found by its stable id), critical changes must come with test changes, and
optionally a number of reviewers other than the author must approve. An exemption label skips
the items and the test rule, but only with a written reason, and it is always reported.
"""

from __future__ import annotations

import argparse

from quality_gates.context import AddOptions, GateContext
from quality_gates.errors import InputError
from quality_gates.git import ChangedFile
from quality_gates.globs import matches
from quality_gates.policy import ChecklistItem
from quality_gates.result import Finding, GateResult, MetricValue
from quality_gates.review import template
from quality_gates.review.declarations import malformed_findings, parse_declarations
from quality_gates.review.markdown import ParsedBody, normalise, parse_body
from quality_gates.review.pull_request import PullRequest, load_approvals, load_pull_request

NAME = "checklist"
HELP = "review checklist: required items for the changed paths, tests, approvals"
SECTIONS: tuple[str, ...] = ("checklist",)


def add_pull_request_arguments(parser: argparse._ActionsContainer) -> None:
    """The pull request's options, shared with the gates that read it (once per parser)."""
    if "--body-file" in parser._option_string_actions:
        return
    parser.add_argument("--body-file", metavar="PATH", help="the PR body (Markdown); '-' = stdin")
    parser.add_argument(
        "--event", metavar="PATH", help="event JSON or PR object (default: $GITHUB_EVENT_PATH)"
    )
    parser.add_argument(
        "--reviews", metavar="PATH", help="reviews JSON, as GET /repos/O/R/pulls/N/reviews returns"
    )
    parser.add_argument(
        "--label",
        metavar="NAME",
        dest="labels",
        action="append",
        default=[],
        help="a PR label; repeatable",
    )
    parser.add_argument("--author", metavar="LOGIN", help="the PR author (default: from the event)")


OPTIONS: tuple[AddOptions, ...] = (add_pull_request_arguments,)


def pull_request(ctx: GateContext) -> PullRequest | None:
    """The pull request the options of :func:`add_pull_request_arguments` point at."""
    given = ctx.inputs
    return load_pull_request(
        body_file=given.body_file,
        event_file=given.event,
        environ=ctx.environ,
        stdin=ctx.stdin,
        extra_labels=given.labels,
        author=given.author,
    )


def _is_test(file: ChangedFile, test_paths: tuple[str, ...]) -> bool:
    return matches(file.path, test_paths)


def _required_items(
    ctx: GateContext, files: tuple[ChangedFile, ...], critical: list[ChangedFile]
) -> list[ChecklistItem]:
    """Items whose paths the change touches; an item without paths follows the critical files."""
    return [
        item
        for item in ctx.policy.checklist.items
        if any(
            matches(p, template.item_paths(item, ctx.policy))
            for f in (files if item.paths else critical)
            for p in f.paths
        )
    ]


def _item_findings(items: list[ChecklistItem], parsed: ParsedBody) -> tuple[list[Finding], int]:
    findings: list[Finding] = []
    ticked = 0
    for item in items:
        tasks = [task for task in parsed.tasks if task.item_id == item.id]
        if not tasks:
            findings.append(
                Finding(
                    f"required item {item.id!r} is missing from the body "
                    f"(no <!-- id:{item.id} --> item): {item.text}",
                    rule_id="item-missing",
                )
            )
        elif any(task.struck for task in tasks):
            findings.append(
                Finding(
                    f"required item {item.id!r} is struck through (line {tasks[0].line}): "
                    "required items cannot be waived; use the exemption label",
                    rule_id="item-struck",
                )
            )
        elif not all(task.checked for task in tasks):
            line = next(task.line for task in tasks if not task.checked)
            findings.append(
                Finding(
                    f"required item {item.id!r} is not ticked (line {line}): {item.text}",
                    rule_id="item-unticked",
                )
            )
        else:
            ticked += 1
    return findings, ticked


def _body_problem(ctx: GateContext, pr: PullRequest, parsed: ParsedBody) -> Finding | None:
    if not pr.body.strip():
        return Finding(f"the pull-request body is empty ({pr.source})", rule_id="body-empty")
    templates = {normalise(template.render_template(ctx.policy))}
    committed = ctx.path(ctx.policy.checklist.template)
    if committed.is_file():
        templates.add(normalise(committed.read_text(encoding="utf-8")))
    untouched = not parsed.prose and not any(task.checked for task in parsed.tasks)
    if normalise(pr.body) in templates or untouched:
        return Finding(
            "the pull-request body is the untouched template: describe the change and tick the "
            "items that apply",
            rule_id="body-untouched",
        )
    return None


def _exemption(ctx: GateContext, pr: PullRequest, parsed: ParsedBody) -> Finding | None:
    label = ctx.policy.checklist.exemption_label
    if not label or label not in pr.labels:
        return None
    if len(parsed.exemption_reason) < 10:
        return Finding(
            f"label {label!r} needs a written reason: add a line 'Exemption reason: <why>' to "
            "the body",
            rule_id="exemption-without-reason",
        )
    return Finding(
        f"exempted by label {label!r}: {parsed.exemption_reason}",
        severity="warning",
        rule_id="exempted",
    )


def run(ctx: GateContext) -> GateResult:
    """Judge the pull request."""
    checklist = ctx.policy.checklist
    pr = pull_request(ctx)
    if pr is None:
        return GateResult(
            NAME,
            "skipped",
            reason="no pull request (give --body-file or --event, or run on a pull_request event)",
        )
    files = ctx.changes.files
    if not files:
        return GateResult(NAME, "skipped", reason=f"no change since {ctx.baseline.label}")
    test_paths = ctx.policy.test_paths
    critical = [
        f
        for f in files
        if not _is_test(f, test_paths)
        and any(matches(p, ctx.policy.critical_paths) for p in f.paths)
    ]
    required = _required_items(ctx, files, critical)
    need_tests = checklist.require_tests_with_critical_changes and bool(critical)
    metrics: dict[str, MetricValue] = {
        "changed_files": len(files),
        "critical_files": len(critical),
        "required_items": len(required),
    }
    if not required and not need_tests and checklist.min_approvals == 0:
        return GateResult(
            NAME,
            "skipped",
            reason=f"nothing required for the {len(files)} changed file(s)",
            metrics=metrics,
        )
    findings = ctx.baseline_findings()
    parsed = parse_body(pr.body)
    exemption = _exemption(ctx, pr, parsed)
    exempt = exemption is not None and exemption.severity == "warning"
    metrics["exempt"] = int(exempt)
    if exemption is not None:  # with the label, only the reason is judged (and approvals)
        findings.append(exemption)
    else:
        if (problem := _body_problem(ctx, pr, parsed)) is not None:
            findings.append(problem)
        elif required and not parsed.tasks:
            ids = ", ".join(item.id for item in required)
            raise InputError(
                f"the pull-request body ({pr.source}) has no checklist (no '- [ ]' items), and "
                f"this change requires: {ids}; start from {checklist.template}"
            )
        else:
            item_findings, ticked = _item_findings(required, parsed)
            findings += item_findings
            # The behaviour gate matches declarations to what it finds; their form is judged
            # here too, so a typo shows in the review checklist, where the author looks.
            findings += malformed_findings(parse_declarations(pr.body)[1])
            metrics["ticked_items"] = ticked
        if need_tests and not any(_is_test(f, test_paths) and f.status != "D" for f in files):
            names = ", ".join(f.path for f in critical[:5]) + (" ..." if len(critical) > 5 else "")
            findings.append(
                Finding(f"critical files changed but no test changed: {names}", rule_id="no-tests")
            )
    if checklist.min_approvals:
        findings += _approval_findings(ctx, pr, metrics)
    return _verdict(findings, metrics, required, exempt)


def _approval_findings(
    ctx: GateContext, pr: PullRequest, metrics: dict[str, MetricValue]
) -> list[Finding]:
    need = ctx.policy.checklist.min_approvals
    if not ctx.inputs.reviews:
        raise InputError(
            f"checklist.min_approvals = {need} needs --reviews FILE "
            "(the JSON of GET /repos/OWNER/REPO/pulls/N/reviews)"
        )
    approvals = load_approvals(ctx.inputs.reviews, pr.author)
    metrics["approvals"] = len(approvals.approved)
    findings = []
    if len(approvals.approved) < need:
        findings.append(
            Finding(
                f"{len(approvals.approved)} approval(s) by reviewers other than the author, "
                f"{need} needed",
                rule_id="approvals",
            )
        )
    if approvals.changes_requested:
        who = ", ".join(approvals.changes_requested)
        findings.append(
            Finding(f"changes requested by {who}", severity="warning", rule_id="changes-requested")
        )
    return findings


def _verdict(
    findings: list[Finding],
    metrics: dict[str, MetricValue],
    required: list[ChecklistItem],
    exempt: bool,  # noqa: FBT001 - internal helper
) -> GateResult:
    errors = [finding for finding in findings if finding.severity == "error"]
    if errors:
        summary = errors[0].message if len(errors) == 1 else f"{len(errors)} problems"
        return GateResult(NAME, "fail", summary=summary, findings=findings, metrics=metrics)
    parts = ["exempt by label"] if exempt else [f"{len(required)} required item(s) ticked"]
    if "approvals" in metrics:
        parts.append(f"{metrics['approvals']} approval(s)")
    return GateResult(NAME, "pass", summary="; ".join(parts), findings=findings, metrics=metrics)
