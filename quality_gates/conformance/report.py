"""The conformance run as one ``GateResult``: the framework's renderers draw every format.

A *check* is one test of one catalogue property. The run becomes a single gate result:

- ``summary``: the counts, e.g. ``62 checks: 58 passed, 0 failed, 1 observed, 0 error,
  3 skipped, 0 not-run, 2 deselected; 408 requests`` - the same line in every format;
- ``metrics``: the same counts by status word, plus ``requests``;
- ``findings``: one per check that did not pass (failed and error as ``error``, observed as
  ``warning``, skipped and not-run as ``info``), located at the check's name, with the
  property id as rule and the masked evidence of failed, observed and errored checks;
- ``tables``: one table ``checks`` with a row per check: check, property, status, reason.

The gate fails when a check failed or errored, or, with ``strict``, when one was observed; it
passes otherwise (observations alone are reported, not fatal).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from quality_gates.conformance.catalogue import lookup
from quality_gates.conformance.grading import STATUSES, CheckStatus
from quality_gates.result import Finding, GateResult, MetricValue, Severity, Table

GATE = "conformance"
COLUMNS = ("check", "property", "status", "reason")
_SEVERITY: dict[CheckStatus, Severity] = {
    "failed": "error",
    "error": "error",
    "observed": "warning",
    "skipped": "info",
    "not-run": "info",
}


@dataclass(frozen=True)
class Check:
    """The outcome of one check: which test, which property, what, why and the evidence."""

    name: str
    property_id: str
    status: CheckStatus
    reason: str = ""
    evidence: str = ""


@dataclass(frozen=True)
class Run:
    """A finished run: its checks and what else the summary says."""

    target: str
    checks: Sequence[Check]
    requests: int
    deselected: int = 0
    strict: bool = False


def counts(run: Run) -> dict[str, int]:
    """Checks per status, in a fixed order, then the deselected ones."""
    tally: dict[str, int] = {s: sum(1 for c in run.checks if c.status == s) for s in STATUSES}
    return {**tally, "deselected": run.deselected}


def summary(run: Run) -> str:
    """``62 checks: 58 passed, 0 failed, 1 observed, ..., 2 deselected; 408 requests``."""
    parts = ", ".join(f"{n} {word}" for word, n in counts(run).items())
    return f"{len(run.checks)} checks: {parts}; {run.requests} requests"


def failed(run: Run) -> bool:
    """Whether the run fails its gate (see the module docstring)."""
    tally = counts(run)
    return bool(tally["failed"] or tally["error"] or (run.strict and tally["observed"]))


def as_result(run: Run) -> GateResult:
    """The run as the framework's result model."""
    checks = sorted(run.checks, key=lambda c: (c.property_id, c.name))
    findings = [_finding(check) for check in checks if check.status != "passed"]
    rows = tuple((c.name, c.property_id, c.status, c.reason) for c in checks)
    metrics: dict[str, MetricValue] = {**counts(run), "requests": run.requests}
    return GateResult(
        f"{GATE} {run.target}",
        "fail" if failed(run) else "pass",
        summary=summary(run),
        findings=findings,
        metrics=metrics,
        tables=[Table("checks", COLUMNS, rows)],
    )


def _finding(check: Check) -> Finding:
    """Where = the check's name (what ``-k`` selects); rule = the property id."""
    prop = lookup(check.property_id)
    return Finding(
        f"{check.status}: {prop.title}: {check.reason or check.status}",
        path=check.name,
        severity=_SEVERITY[check.status],
        rule_id=f"P{prop.id}",
        evidence=check.evidence if check.status in ("failed", "observed", "error") else "",
    )


def checks_of(document: Mapping[str, Any]) -> list[dict[str, str]]:
    """The checks of a JSON report, each ``{check, property, status, reason, evidence}``."""
    gate = next(g for g in document["gates"] if str(g["gate"]).startswith(GATE))
    table = next(t for t in gate["tables"] if t["title"] == "checks")
    evidence = {f["path"]: f.get("evidence", "") for f in gate["findings"]}
    return [
        {**dict(zip(table["columns"], row, strict=True)), "evidence": evidence.get(row[0], "")}
        for row in table["rows"]
    ]
