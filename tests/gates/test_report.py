"""Every report format is rendered from the same results, and escapes what it shows."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from quality_gates.report import render
from quality_gates.result import Finding, GateResult, exit_code
from tests.gates._repo import assert_golden

HOSTILE = '<script>alert("x")</script> | `tick` & **bold**'


def results() -> list[GateResult]:
    """One result of each status, with hostile text in the places users control."""
    return [
        GateResult("checklist", "pass", summary="2 required item(s) ticked"),
        GateResult(
            "coverage",
            "fail",
            summary="2 problem(s)",
            findings=[
                Finding(
                    "changed line not covered",
                    "app/auth/login.py",
                    5,
                    "error",
                    "uncovered-critical-line",
                ),
                Finding(HOSTILE, "app/<evil>.py", None, "warning", "x|y"),
                Finding("a note", severity="info"),
            ],
            metrics={"total_percent": 91.25, "baseline": "merge base 1a2b3c4 of origin/main"},
        ),
        GateResult("api-compat", "error", reason="bad snapshot", findings=[Finding("oops")]),
        GateResult("incidents", "skipped", reason="no postmortems in postmortems/"),
    ]


def test_text() -> None:
    assert_golden("report.txt", render(results(), "text"))


def test_markdown_escapes_user_text() -> None:
    output = render(results(), "markdown")
    assert "<script>" not in output
    assert_golden("report.md", output)


def test_json_round_trips() -> None:
    document = json.loads(render(results(), "json"))
    assert document["verdict"] == "error"
    assert document["exit_code"] == 2
    assert document["counts"] == {"passed": 1, "failed": 1, "error": 1, "skipped": 1}
    coverage = document["gates"][1]
    assert coverage["findings"][0] == {
        "message": "changed line not covered",
        "path": "app/auth/login.py",
        "line": 5,
        "severity": "error",
        "rule_id": "uncovered-critical-line",
    }
    assert coverage["metrics"]["total_percent"] == 91.25


def test_junit_is_valid_and_counts() -> None:
    root = ET.fromstring(render(results(), "junit"))  # noqa: S314 - our own output
    suite = root.find("testsuite")
    assert suite is not None
    assert (
        suite.get("tests"),
        suite.get("failures"),
        suite.get("errors"),
        suite.get("skipped"),
    ) == ("4", "1", "1", "1")
    failure = suite.find("testcase[@name='coverage']/failure")
    assert failure is not None
    assert failure.get("message") == "2 problem(s)"
    assert HOSTILE in (failure.text or "")


def test_html_is_self_contained_and_escaped() -> None:
    page = render(results(), "html")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "app/&lt;evil&gt;.py" in page
    assert "<style>" in page
    assert "http" not in page.lower().replace("http-equiv", "")  # nothing loaded from outside


def test_exit_code_precedence() -> None:
    internal = GateResult("x", "error", reason="bug", internal=True)
    assert exit_code([GateResult("a", "pass"), GateResult("b", "skipped")]) == 0
    assert exit_code([GateResult("a", "fail"), GateResult("b", "pass")]) == 1
    assert exit_code([GateResult("a", "fail"), GateResult("b", "error")]) == 2
    assert exit_code([GateResult("b", "error"), internal]) == 3
