"""The demo's reports and summary, from a result (the pipeline itself runs in ``nox -s demo``)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from bugzoo import demo
from bugzoo.results import StageResult
from tests.bugzoo._zoo import patch_result

HEADLINE = (
    "candidate fails login for 51% of accounts: segment legacy-pbkdf2 (100% of its accounts), "
    "also legacy-bcrypt"
)


def _with_accounts(stage: StageResult) -> StageResult:
    return replace(
        stage, gate={"status": "fail", "summary": HEADLINE, "metrics": {"accounts": 1000}}
    )


def test_reports_and_summary_of_a_blocked_update(tmp_path: Path) -> None:
    """One HTML/Markdown/JSON report over every stage; the summary names the blockers, the
    share locked out and the report."""
    result = patch_result(
        "incident-2024-05-25", "bug", {"tests": "fail", "replay": "fail"}, headline=HEADLINE
    )
    written = demo.write_reports(result, tmp_path / "demo")
    html = written["html"].read_text(encoding="utf-8")
    assert "<html" in html
    assert "replay" in html
    assert "candidate fails login for 51% of accounts" in html
    report = json.loads(written["json"].read_text(encoding="utf-8"))
    assert [gate["gate"] for gate in report["gates"]] == [s.stage for s in result.stages]
    assert report["verdict"] == "failed"
    assert (tmp_path / "demo" / "demo.json").is_file()
    lines = demo.summary(result, written["html"], tmp_path)
    stages = tuple(_with_accounts(s) if s.stage == "replay" else s for s in result.stages)
    counted = replace(result, stages=stages)
    assert "It would have locked out 51% of the 1000 replayed accounts: segment" in "\n".join(
        demo.summary(counted, written["html"], tmp_path)
    )
    assert "Blocked by 2 of 7 gates: tests, replay." in lines
    assert (
        "It would have locked out 51%: segment legacy-pbkdf2 (100% of its accounts), "
        "also legacy-bcrypt." in lines
    )
    assert lines[-1] == "HTML report: demo/gate.html"
    assert any(line.startswith("  ✓ tests       BLOCKED") for line in lines)
    # The legend follows the gate lines and explains both markers they use.
    legend = lines.index("Blocked by 2 of 7 gates: tests, replay.") - 2
    assert lines[legend].startswith("  (✓ the gate caught the update and blocks it; · it passed")
    assert lines[legend - 1].startswith("  ")


def test_summary_of_an_update_that_got_through(tmp_path: Path) -> None:
    """Nothing blocked: said plainly, and no share is made up."""
    result = patch_result("sneaky", "bug", {})
    lines = demo.summary(result, tmp_path / "gate.html", Path("/elsewhere"))
    assert "NOT BLOCKED: every gate passed this update." in lines
    assert "The replay did not measure users locked out (see the report)." in lines
    assert lines[-1] == f"HTML report: {tmp_path / 'gate.html'}"


def test_full_gate_results_keep_their_findings_and_tables() -> None:
    """A gate's own JSON result (findings, metrics, tables) reaches the combined report."""
    gate = {
        "gate": "replay",
        "status": "fail",
        "summary": HEADLINE,
        "reason": "",
        "findings": [{"message": "segment legacy-pbkdf2: 100% -> 0%", "rule_id": "verdict"}],
        "metrics": {"accounts": 1000},
        "tables": [{"title": "by segment", "columns": ["segment"], "rows": [["legacy-pbkdf2"]]}],
    }
    converted = demo.gate_result(StageResult("replay", "fail", HEADLINE, 3.0, gate))
    assert converted.findings[0].rule_id == "verdict"
    assert converted.metrics == {"accounts": 1000}
    assert converted.tables[0].rows == (("legacy-pbkdf2",),)
    assert demo.locked_out_share(HEADLINE) == "51%"
    assert demo.locked_out_share("no regression") is None
