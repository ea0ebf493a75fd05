"""The incident-registry gate.

Every postmortem must name the tests that guard against its recurrence (by node id in its front
matter, or by ``@pytest.mark.incident("ID")`` on the tests), those tests must exist, and they
must have passed in the last test run (its JUnit XML report). A marker naming no postmortem is
a finding too: it guards nothing anyone can find.
"""

from __future__ import annotations

from quality_gates import git
from quality_gates.context import AddOptions, GateContext
from quality_gates.globs import matches
from quality_gates.incident.junit import Case, cases_for, load_junit
from quality_gates.incident.postmortems import Postmortem, load_postmortems
from quality_gates.incident.testindex import TestIndex, build_index
from quality_gates.result import Finding, GateResult, MetricValue

NAME = "incidents"
HELP = "incident registry: every postmortem has guarding tests that exist and passed"
SECTIONS: tuple[str, ...] = ("incidents",)
OPTIONS: tuple[AddOptions, ...] = ()


def _judge(
    postmortem: Postmortem, index: TestIndex, cases: list[Case] | None
) -> tuple[list[Finding], int]:
    """Findings for one incident, and how many guarding tests it has."""
    marked = [node for node, _ in index.markers.get(postmortem.id, [])]
    guards = list(dict.fromkeys([*postmortem.tests, *marked]))
    if not guards:
        return [
            Finding(
                f"{postmortem.id}: no guarding test: list node ids under 'tests:' or mark a test "
                f'with @pytest.mark.incident("{postmortem.id}")',
                rule_id="incident-unguarded",
                path=postmortem.path,
                line=1,
            )
        ], 0
    findings = []
    for node in guards:
        if not index.exists(node):
            findings.append(
                Finding(
                    f"{postmortem.id}: guarding test {node} does not exist",
                    rule_id="guard-missing",
                    path=postmortem.path,
                    line=1,
                )
            )
            continue
        if cases is None:
            continue
        ran = cases_for(node, cases)
        outcome = (
            "did not run in the last test run"
            if not ran
            else "failed in the last test run"
            if any(c.outcome == "failed" for c in ran)
            else "was skipped in the last test run"
            if not any(c.outcome == "passed" for c in ran)
            else ""
        )
        if outcome:
            findings.append(
                Finding(
                    f"{postmortem.id}: guarding test {node} {outcome}",
                    rule_id="guard-not-passed",
                    path=postmortem.path,
                    line=1,
                )
            )
    return findings, len(guards)


def run(ctx: GateContext) -> GateResult:
    """Judge the incident registry."""
    policy = ctx.policy.incidents
    postmortems, findings = load_postmortems(ctx.repo, policy.directory)
    if not postmortems and not findings:
        return GateResult(NAME, "skipped", reason=f"no postmortems in {policy.directory}/")
    test_files = [
        path
        for path in git.list_files(ctx.repo)
        if path.endswith(".py") and matches(path, ctx.policy.test_paths)
    ]
    index = build_index(ctx.repo, test_files, policy.marker)
    findings += index.problems
    cases = load_junit(ctx.path(policy.junit), policy.junit) if policy.junit else None
    if cases is None:
        findings.append(
            Finding(
                "pass status not checked: tool.quality_gates.incidents.junit is empty",
                severity="warning",
                rule_id="junit-off",
            )
        )
    guarded = guard_count = 0
    for postmortem in postmortems:
        problems, count = _judge(postmortem, index, cases)
        findings += problems
        guard_count += count
        guarded += not problems
    known = {postmortem.id for postmortem in postmortems}
    for incident, places in sorted(index.markers.items()):
        if incident not in known:
            for node, line in places:
                findings.append(
                    Finding(
                        f"@pytest.mark.{policy.marker}({incident!r}) on {node} names no postmortem",
                        path=node.split("::", 1)[0],
                        line=line,
                        rule_id="marker-unknown-incident",
                    )
                )
    metrics: dict[str, MetricValue] = {
        "incidents": len(postmortems),
        "guarded": guarded,
        "guarding_tests": guard_count,
    }
    errors = [finding for finding in findings if finding.severity == "error"]
    if errors:
        summary = errors[0].message if len(errors) == 1 else f"{len(errors)} problems"
        return GateResult(NAME, "fail", summary=summary, findings=findings, metrics=metrics)
    return GateResult(
        NAME,
        "pass",
        findings=findings,
        metrics=metrics,
        summary=f"{len(postmortems)} incident(s), {guard_count} guarding test(s) passed",
    )
