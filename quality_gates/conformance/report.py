"""Conformance reports: a Markdown table, JUnit XML, JSON and a one-line summary.

A verdict is one check (one test) of one property. A property's status is the worst of its
checks: fail > error > pass > skipped, so a property passes only when every check that ran
passed, and is skipped only when none ran. Verdicts also become ``GateResult`` objects, so the
framework's own renderers (text, HTML) work on them too.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from quality_gates.conformance.catalogue import lookup
from quality_gates.report import render as render_gate_results
from quality_gates.report.as_markdown import ICONS, escape
from quality_gates.result import STATUS_WORDS, Finding, GateResult

Status = Literal["pass", "fail", "error", "skipped"]
FORMATS = ("text", "markdown", "junit", "json", "html")
_RANK: dict[Status, int] = {"fail": 3, "error": 2, "pass": 1, "skipped": 0}
MAX_EVIDENCE = 700


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check: which property, which test, what, why and the evidence."""

    property_id: str
    test: str
    status: Status
    message: str = ""
    evidence: str = ""


def property_status(verdicts: Sequence[Verdict]) -> dict[str, Status]:
    """The status of each property, in catalogue-id order."""
    result: dict[str, Status] = {}
    for verdict in sorted(verdicts, key=lambda v: v.property_id):
        current = result.get(verdict.property_id)
        if current is None or _RANK[verdict.status] > _RANK[current]:
            result[verdict.property_id] = verdict.status
    return result


def counts(verdicts: Sequence[Verdict]) -> dict[str, int]:
    """How many properties passed, failed, errored and were skipped."""
    statuses = list(property_status(verdicts).values())
    return {STATUS_WORDS[s]: statuses.count(s) for s in ("pass", "fail", "error", "skipped")}


def summary_line(verdicts: Sequence[Verdict], target: str, requests: int) -> str:
    """``conformance authsvc: failed - 40 properties: 38 passed, 1 failed, 0 error, 1 skipped``."""
    tally = counts(verdicts)
    overall = "failed" if tally["failed"] or tally["error"] else "passed"
    total = sum(tally.values())
    parts = ", ".join(f"{n} {word}" for word, n in tally.items())
    return (
        f"conformance {target}: {overall} - {total} properties ({len(verdicts)} checks): "
        f"{parts}; {requests} requests"
    )


def render_text(verdicts: Sequence[Verdict], target: str, requests: int) -> str:
    """One line per check (with the evidence under a failure), then the summary line."""
    lines = []
    for verdict in sorted(verdicts, key=lambda v: (v.property_id, v.test)):
        prop = lookup(verdict.property_id)
        word = STATUS_WORDS[verdict.status]
        detail = f" ({verdict.message.splitlines()[0]})" if verdict.message else ""
        lines.append(f"* P{prop.id} {prop.title} [{verdict.test}]: {word}{detail}")
        if verdict.status in ("fail", "error") and verdict.evidence:
            lines += ["    " + line for line in verdict.evidence.splitlines()]
    lines.append(summary_line(verdicts, target, requests))
    return "\n".join(lines) + "\n"


def render_markdown(verdicts: Sequence[Verdict], target: str, requests: int) -> str:
    """A table: property, verdict, evidence (masked), one row per check."""
    lines = [
        f"## Conformance: {escape(target)}",
        "",
        summary_line(verdicts, escape(target), requests),
        "",
        "| property | verdict | check | evidence |",
        "| --- | --- | --- | --- |",
    ]
    for verdict in sorted(verdicts, key=lambda v: (v.property_id, v.test)):
        prop = lookup(verdict.property_id)
        name = f"{prop.id} {escape(prop.title)}<br>*{escape(prop.source)}*"
        status = f"{ICONS[verdict.status]} {STATUS_WORDS[verdict.status]}"
        why = escape(verdict.message) if verdict.status != "pass" else ""
        shown = verdict.evidence[:MAX_EVIDENCE]
        evidence = "<br>".join(_code(line) for line in shown.splitlines())
        cell = "<br>".join(part for part in (why, evidence) if part)
        lines.append(f"| {name} | {status} | {escape(verdict.test)} | {cell} |")
    return "\n".join(lines) + "\n"


def _code(line: str) -> str:
    """One evidence line as inline code (a backtick inside would end it early)."""
    return "`" + line.replace("`", "'").replace("|", "\\|") + "`"


def render_junit(verdicts: Sequence[Verdict], target: str, requests: int) -> str:
    """One ``<testcase>`` per check, named by its property, with the evidence in the body."""
    tally = {s: sum(1 for v in verdicts if v.status == s) for s in _RANK}
    suites = ET.Element("testsuites")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"conformance {target}",
        tests=str(len(verdicts)),
        failures=str(tally["fail"]),
        errors=str(tally["error"]),
        skipped=str(tally["skipped"]),
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="requests", value=str(requests))
    for verdict in verdicts:
        prop = lookup(verdict.property_id)
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"conformance.{target}.p{prop.id}",
            name=f"{prop.id} {prop.title} [{verdict.test}]",
        )
        meta = ET.SubElement(case, "properties")
        for key, value in (("property", prop.id), ("severity", prop.severity)):
            ET.SubElement(meta, "property", name=key, value=value)
        ET.SubElement(meta, "property", name="source", value=prop.source)
        tag = {"fail": "failure", "error": "error", "skipped": "skipped"}.get(verdict.status)
        if tag is not None:
            ET.SubElement(case, tag, message=verdict.message).text = verdict.evidence or None
        elif verdict.evidence:
            ET.SubElement(case, "system-out").text = verdict.evidence
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def render_json(verdicts: Sequence[Verdict], target: str, requests: int) -> str:
    """``{"schema": "quality-gates-conformance/1", "target", "counts", "properties", "checks"}``."""
    document = {
        "schema": "quality-gates-conformance/1",
        "target": target,
        "requests": requests,
        "counts": counts(verdicts),
        "properties": property_status(verdicts),
        "checks": [asdict(verdict) for verdict in verdicts],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def as_results(verdicts: Sequence[Verdict]) -> list[GateResult]:
    """One ``GateResult`` per property, for the framework's generic renderers."""
    results = []
    for property_id, status in property_status(verdicts).items():
        prop = lookup(property_id)
        mine = [v for v in verdicts if v.property_id == property_id]
        findings = [
            Finding(
                f"{v.test}: {v.message or STATUS_WORDS[v.status]}",
                severity="error" if v.status in ("fail", "error") else "info",
                rule_id=f"P{property_id}",
            )
            for v in mine
            if v.status != "pass"
        ]
        reason = next((v.message for v in mine if v.status == status), "")
        results.append(
            GateResult(
                f"P{prop.id} {prop.title}",
                status,
                summary=prop.source,
                reason=reason,
                findings=findings,
            )
        )
    return results


def render(verdicts: Sequence[Verdict], fmt: str, target: str, requests: int) -> str:
    """Render in ``fmt``, one of ``FORMATS``."""
    if fmt == "markdown":
        return render_markdown(verdicts, target, requests)
    if fmt == "junit":
        return render_junit(verdicts, target, requests)
    if fmt == "json":
        return render_json(verdicts, target, requests)
    if fmt == "text":
        return render_text(verdicts, target, requests)
    return render_gate_results(as_results(verdicts), fmt)


def load_json(text: str) -> tuple[list[Verdict], int]:
    """The verdicts and request count of a JSON report (the CLI reads back the pytest run's)."""
    document = json.loads(text)
    return [Verdict(**check) for check in document["checks"]], int(document["requests"])
