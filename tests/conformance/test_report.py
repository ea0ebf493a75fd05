"""Conformance reports: per-property status, Markdown, JUnit, JSON and the summary line."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from quality_gates.conformance.report import (
    Verdict,
    counts,
    load_json,
    property_status,
    render,
    summary_line,
)

VERDICTS = [
    Verdict("27", "test_logout", "fail", "still works", "> POST /logout\n< 204"),
    Verdict("32", "test_disable", "pass", "", "> GET /me\n< 401"),
    Verdict("32", "test_password_change", "skipped", "not claimed: claims.x"),
    Verdict("14", "test_duplicate", "skipped", "not claimed: claims.y"),
    Verdict("01", "test_ok", "pass"),
]


def test_a_property_takes_the_worst_status_of_its_checks() -> None:
    assert property_status(VERDICTS) == {"01": "pass", "14": "skipped", "27": "fail", "32": "pass"}
    assert counts(VERDICTS) == {"passed": 2, "failed": 1, "error": 0, "skipped": 1}


def test_summary_line() -> None:
    line = summary_line(VERDICTS, "svc", 12)
    assert line == (
        "conformance svc: failed - 4 properties (5 checks): "
        "2 passed, 1 failed, 0 error, 1 skipped; 12 requests"
    )


def test_markdown_table_has_property_verdict_and_evidence() -> None:
    text = render(VERDICTS, "markdown", "svc", 12)
    assert "| property | verdict | check | evidence |" in text
    row = next(line for line in text.splitlines() if line.startswith("| 27 "))
    assert "❌ failed" in row
    assert "`> POST /logout`<br>`< 204`" in row
    assert "A4 3.3.1" in row  # the source, from the catalogue


def test_junit_has_one_case_per_check_with_property_metadata() -> None:
    root = ET.fromstring(render(VERDICTS, "junit", "svc", 12))  # noqa: S314 - our own output
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "1"
    assert suite.get("skipped") == "2"
    case = next(c for c in suite.iter("testcase") if c.get("name", "").startswith("27 "))
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "still works"
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["property"] == "27"
    assert props["severity"] == "critical"


def test_json_round_trip() -> None:
    text = render(VERDICTS, "json", "svc", 12)
    assert json.loads(text)["properties"]["27"] == "fail"
    assert load_json(text) == (VERDICTS, 12)


def test_text_and_html_render() -> None:
    assert "P27 Logout invalidates the token on the server [test_logout]: failed" in render(
        VERDICTS, "text", "svc", 1
    )
    assert "<html" in render(VERDICTS, "html", "svc", 1).lower()
