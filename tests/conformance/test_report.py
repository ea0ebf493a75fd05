"""The conformance run on the framework's result model: counts, findings, every format."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from quality_gates.conformance.report import Check, Run, as_result, checks_of, counts, summary
from quality_gates.report import FORMATS, render

CHECKS = (
    Check("test_logout", "27", "failed", "token still works", "> POST /logout\n< 204"),
    Check("test_disable", "32", "passed", "", "> GET /me\n< 401"),
    Check("test_password_change", "32", "skipped", "not applicable: no [endpoints.x]"),
    Check("test_case", "10", "observed", "two accounts (not claimed: claims.y)", "> POST /r"),
    Check("test_broken", "44", "error", "the suite raised TypeError: boom"),
    Check("test_locked", "15", "not-run", "client-wide lockout"),
    Check("test_ok", "01", "passed"),
)
RUN = Run("svc", CHECKS, requests=12, deselected=3)
EXPECTED = {
    "passed": 2,
    "failed": 1,
    "observed": 1,
    "error": 1,
    "skipped": 1,
    "not-run": 1,
    "deselected": 3,
}


def test_counts_are_per_check_with_the_deselected() -> None:
    assert counts(RUN) == EXPECTED
    assert summary(RUN) == (
        "7 checks: 2 passed, 1 failed, 1 observed, 1 error, 1 skipped, 1 not-run, "
        "3 deselected; 12 requests"
    )


def test_observations_alone_pass_unless_strict() -> None:
    observed = (CHECKS[1], CHECKS[3])
    assert as_result(Run("svc", observed, 4)).status == "pass"
    assert as_result(Run("svc", observed, 4, strict=True)).status == "fail"
    assert as_result(Run("svc", (CHECKS[1], CHECKS[4]), 4)).status == "fail"  # an error fails


def test_findings_grade_and_locate_every_check_that_did_not_pass() -> None:
    result = as_result(RUN)
    by_check = {finding.path: finding for finding in result.findings}
    assert set(by_check) == {c.name for c in CHECKS if c.status != "passed"}
    assert by_check["test_logout"].severity == "error"
    assert by_check["test_case"].severity == "warning"
    assert by_check["test_locked"].severity == "info"
    assert by_check["test_logout"].rule_id == "P27"
    assert "< 204" in by_check["test_logout"].evidence
    assert by_check["test_locked"].evidence == ""


def test_json_gives_every_check_with_status_and_reason() -> None:
    document = json.loads(render([as_result(RUN)], "json"))
    gate = document["gates"][0]
    assert gate["metrics"] == {**EXPECTED, "requests": 12}
    rows = {check["check"]: check for check in checks_of(document)}
    assert rows["test_case"] == {
        "check": "test_case",
        "property": "10",
        "status": "observed",
        "reason": "two accounts (not claimed: claims.y)",
        "evidence": "> POST /r",
    }
    assert {row["status"] for row in rows.values()} == {
        "passed",
        "failed",
        "observed",
        "error",
        "skipped",
        "not-run",
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_shows_the_same_counts(fmt: str) -> None:
    text = render([as_result(RUN)], fmt)
    assert summary(RUN) in text.replace("&#x27;", "'")
    assert "test_broken" in text


def test_junit_carries_the_evidence_and_the_failure() -> None:
    root = ET.fromstring(render([as_result(RUN)], "junit"))  # noqa: S314 - our own output
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.text is not None
    assert "< 204" in failure.text


def test_markdown_fences_evidence_with_backticks() -> None:
    tricky = Check("test_tick", "27", "failed", "x", "< 200 ```not the end``` of it")
    text = render([as_result(Run("svc", (tricky,), 1))], "markdown")
    fences = re.findall(r"^ *(`{3,})$", text, re.MULTILINE)
    assert fences == ["````", "````"], text


def test_html_shows_the_evidence_escaped_under_its_finding() -> None:
    """The restyled page keeps each finding's evidence, as preformatted text, never as markup."""
    hostile = Check("test_echo", "51", "failed", "echoed", '> POST /r\n< 400 <script>x</script>\n"')
    page = render([as_result(Run("svc", (hostile,), 1))], "html")
    item = re.search(r'<li class="error">.*?</li>', page, re.DOTALL)
    assert item is not None, page
    assert "<code>test_echo</code>" in item.group(0)
    assert "<pre>&gt; POST /r\n&lt; 400 &lt;script&gt;x&lt;/script&gt;\n&quot;</pre>" in item.group(
        0
    )
    assert "<script>" not in page
