"""JUnit XML: one test case per gate, so CI systems show gates like tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from quality_gates.report.as_text import finding_line
from quality_gates.result import GateResult, counts


def render(results: Sequence[GateResult]) -> str:
    """``<testsuites><testsuite name="quality-gates">`` with a ``<testcase>`` per gate."""
    tally = counts(list(results))
    suites = ET.Element("testsuites")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="quality-gates",
        tests=str(len(results)),
        failures=str(tally["failed"]),
        errors=str(tally["error"]),
        skipped=str(tally["skipped"]),
    )
    for result in results:
        case = ET.SubElement(suite, "testcase", classname="quality_gates", name=result.gate)
        body = "\n".join(
            "\n".join([finding_line(finding), *finding.evidence.splitlines()])
            for finding in result.findings
        )
        tag = {"fail": "failure", "error": "error", "skipped": "skipped"}.get(result.status)
        if tag is not None:
            element = ET.SubElement(case, tag, message=result.detail)
            element.text = body or None
        elif body:
            ET.SubElement(case, "system-out").text = body
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
