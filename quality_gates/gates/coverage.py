"""The coverage gate.

Judges, from coverage.py data: total coverage, coverage of each critical path pattern, and the
changed lines through diff-cover with branch coverage on. Changed lines in critical paths are
gated one by one (each uncovered one is a finding with file:line), so an untested branch cannot
hide in an average; other changed lines have their own pooled floor. A changed Python file with
no coverage data fails, with the probable reason, instead of passing vacuously.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from quality_gates import coverage_data
from quality_gates.context import AddOptions, GateContext
from quality_gates.coverage_data import DataSummary, FileCoverage
from quality_gates.globs import matches
from quality_gates.result import Finding, GateResult, MetricValue

NAME = "coverage"
HELP = "coverage: total, per critical path, and every changed critical line"
SECTIONS: tuple[str, ...] = ("coverage",)
OPTIONS: tuple[AddOptions, ...] = ()


def _pct(covered: int, total: int) -> float:
    return 100.0 * covered / total if total else 100.0


def _below(covered: int, total: int, threshold: float) -> bool:
    return total > 0 and covered * 100 < threshold * total


def _why_no_data(path: str, data: DataSummary, ctx: GateContext) -> str:
    """The probable reason a changed file has no coverage data, most likely first."""
    if data.unmapped:
        return (
            f"the data's paths do not match this checkout (e.g. {data.unmapped[0]!r}): set "
            "[tool.coverage.run] relative_files = true, or map them with [tool.coverage.paths] "
            "and `coverage combine`"
        )
    folder = path.rpartition("/")[0]
    measured = [coverage_data.relative(m, ctx.repo) for m in data.measured]
    if not any(m.startswith(folder + "/") for m in measured):
        return (
            f"nothing in {folder or 'the top folder'}/ was measured: it is outside "
            "[tool.coverage.run] source, or no test imported it (list it in "
            "tool.quality_gates.coverage.omit if it is not meant to be measured)"
        )
    if ctx.baseline.kind != "merge-base":
        return (
            f"the baseline is {ctx.baseline.label}, so the diff may hold files this branch did "
            "not change (shallow clone or missing baseline ref)"
        )
    return "no test imported it (add tests, or list it in tool.quality_gates.coverage.omit)"


def _totals(files: dict[str, FileCoverage], paths: list[str]) -> tuple[int, int]:
    return sum(files[p].covered for p in paths), sum(files[p].measured for p in paths)


def _line_message(line: int, info: FileCoverage | None) -> str:
    if info is not None and line not in info.missing_lines and line in info.missing_branches:
        targets = ", ".join(
            "exit" if target < 0 else f"line {target}" for target in info.missing_branches[line]
        )
        return f"changed line partly covered: branch to {targets} never taken"
    return "changed line not covered"


def run(ctx: GateContext) -> GateResult:
    """Judge coverage."""
    policy, cov = ctx.policy, ctx.policy.coverage
    data_file = ctx.path(cov.data_file)
    data = coverage_data.read_data(data_file, ctx.repo)
    findings: list[Finding] = ctx.baseline_findings()
    metrics: dict[str, MetricValue] = {"baseline": ctx.baseline.label}
    with tempfile.TemporaryDirectory(prefix="quality-gates-") as tmp:
        changes = ctx.changes
        skip = policy.test_paths + cov.omit
        changed = {
            path: lines
            for path, lines in sorted(changes.lines.items())
            if path.endswith(".py")
            and lines
            and not matches(path, skip)
            and ctx.path(path).is_file()
        }
        files, line_stats = coverage_data.measure(
            ctx.repo, data_file, changes.diff_text if changed else None, Path(tmp)
        )
    if cov.require_branch and not data.has_branches:
        findings.append(
            Finding(
                "branch coverage was not measured: set [tool.coverage.run] branch = true",
                rule_id="branch-not-measured",
            )
        )
    covered, total = _totals(files, list(files))
    metrics["total_percent"] = round(_pct(covered, total), 2)
    summary = [f"total {_pct(covered, total):.2f}%"]
    if _below(covered, total, cov.fail_under):
        findings.append(
            Finding(
                f"total coverage {_pct(covered, total):.2f}% < {cov.fail_under:g}%",
                rule_id="total-below",
            )
        )
    for pattern in policy.critical_paths:
        members = [path for path in files if matches(path, (pattern,))]
        if not members:
            continue
        covered, total = _totals(files, members)
        metrics[f"critical_percent[{pattern}]"] = round(_pct(covered, total), 2)
        if _below(covered, total, cov.critical_fail_under):
            findings.append(
                Finding(
                    f"critical path {pattern}: {_pct(covered, total):.2f}% < "
                    f"{cov.critical_fail_under:g}%",
                    rule_id="critical-path-below",
                )
            )
    summary += _changed_lines(
        ctx,
        changed=changed,
        files=files,
        line_stats=line_stats,
        data=data,
        findings=findings,
        metrics=metrics,
    )
    failed = any(finding.severity == "error" for finding in findings)
    errors = [f for f in findings if f.severity == "error"]
    text = "; ".join(summary)
    if failed:
        text = f"{len(errors)} problem(s): " + (errors[0].message if len(errors) == 1 else text)
    return GateResult(
        NAME, "fail" if failed else "pass", summary=text, findings=findings, metrics=metrics
    )


def _changed_lines(
    ctx: GateContext,
    *,
    changed: dict[str, frozenset[int]],
    files: dict[str, FileCoverage],
    line_stats: dict[str, coverage_data.ChangedLineStats],
    data: DataSummary,
    findings: list[Finding],
    metrics: dict[str, MetricValue],
) -> list[str]:
    """Judge the changed lines; append findings and metrics, return summary parts."""
    cov = ctx.policy.coverage
    metrics["changed_python_files"] = len(changed)
    if not changed:
        return ["no changed Python lines"]
    tallies = {True: [0, 0], False: [0, 0]}  # critical? -> [covered, measured]
    for path in changed:
        critical = matches(path, ctx.policy.critical_paths)
        if path not in files:
            findings.append(
                Finding(
                    f"changed, but has no coverage data: {_why_no_data(path, data, ctx)}",
                    path=path,
                    rule_id="no-coverage-data",
                )
            )
            continue
        stats = line_stats.get(path)
        if stats is None:  # measured file, but no executable line among the changed ones
            continue
        tallies[critical][0] += len(stats.covered)
        tallies[critical][1] += len(stats.covered) + len(stats.violations)
        for line in stats.violations:
            findings.append(
                Finding(
                    _line_message(line, files.get(path)),
                    path=path,
                    line=line,
                    severity="error" if critical else "warning",
                    rule_id="uncovered-critical-line" if critical else "uncovered-changed-line",
                )
            )
    parts = []
    for critical, threshold, label in (
        (True, cov.critical_changed_fail_under, "changed critical lines"),
        (False, cov.changed_fail_under, "other changed lines"),
    ):
        covered, measured = tallies[critical]
        key = "critical_changed" if critical else "changed"
        metrics[f"{key}_lines_measured"] = measured
        metrics[f"{key}_lines_covered"] = covered
        if not measured:
            continue
        parts.append(f"{label} {covered}/{measured} covered")
        if _below(covered, measured, threshold):
            findings.append(
                Finding(
                    f"{label}: {_pct(covered, measured):.2f}% < {threshold:g}%",
                    rule_id=f"{key.replace('_', '-')}-below",
                )
            )
    return parts or ["no executable changed lines"]
