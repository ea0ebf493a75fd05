"""The HTML report's verdict in words, what it says was judged, and how it shows values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quality_gates.report import render
from quality_gates.report.as_html import text
from quality_gates.report.summary import summarise
from quality_gates.result import Finding, GateResult
from tests.gates._repo import CLI, GitRepo
from tests.gates._report_sample import IMPACT, SUBJECT, demo_results


def test_a_blocked_change_leads_with_whom_it_hurts() -> None:
    said = summarise(demo_results())
    assert said.kind == "failed"
    assert said.headline == f"Blocked: {IMPACT}."
    assert said.why == "Blocked by 3 of 5 gates: tests, incidents, replay."


def test_without_an_impact_the_first_blocking_gate_says_why() -> None:
    said = summarise(
        [
            GateResult("checklist", "pass", summary="ticked"),
            GateResult("coverage", "fail", summary="total 80.00% < 90%"),
        ]
    )
    assert said.headline == "Blocked: coverage: total 80.00% < 90%."
    assert said.why == "Blocked by 1 of 2 gates: coverage."


def test_passed_skipped_and_not_judged_runs_are_said_plainly() -> None:
    passed = summarise([GateResult("a", "pass"), GateResult("b", "skipped", reason="no PR")])
    assert passed.headline == "Passed: no gate found a reason to block this change."
    assert passed.why == "1 of 2 gates passed; skipped: b."
    idle = summarise([GateResult("b", "skipped")])
    assert idle.headline == "Passed, but nothing was checked: every gate skipped."
    broken = summarise(
        [GateResult("a", "fail", summary="x"), GateResult("b", "error", reason="bad snapshot")]
    )
    assert broken.kind == "error"
    assert broken.headline == "Not judged: the b gate could not run (bad snapshot)."
    assert broken.why == "Could not judge: 1 of 2 gates: b. Blocked by 1 of 2 gates: a."
    assert summarise([]).headline == "Nothing judged: no gate ran."


def test_the_page_opens_with_the_verdict_subject_and_chart() -> None:
    page = render(demo_results(), "html", SUBJECT)
    verdict, subject, chart = (page.index(mark) for mark in ('id="verdict"', "Judged:", "<svg"))
    assert verdict < subject < chart < page.index("<table>")
    assert page.count("<svg") == 1  # the segment chart, shown once at the top
    assert "<details><summary>51 findings</summary>" in page
    assert "94810b632a59 + incident-2024-05-25.patch" in page


def test_values_are_escaped_and_spaces_drawn() -> None:
    assert text("<b>\u2420a***@x</b>") == (
        '&lt;b&gt;<span class="sp" title="space" role="img" aria-label="space"></span>'
        "a***@x&lt;/b&gt;"
    )
    page = render([GateResult("x", "fail", findings=[Finding("\u2420<script>")])], "html")
    assert "<script>" not in page
    assert "\u2420" not in page
    assert "marks a space" in page  # the legend, only when a marker is shown
    assert "marks a space" not in render([GateResult("x", "pass")], "html")


def test_run_reports_say_what_was_judged(
    cli: CLI, repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.write("README.md", "hello\n")
    repo.commit("base")
    repo.git("update-ref", "refs/remotes/origin/main", "HEAD")
    repo.write("README.md", "hello again\n")
    sha = repo.commit("Say hello again")
    html, report = tmp_path / "r.html", tmp_path / "r.json"
    run = cli(
        "run", "--skip", "checklist", "--skip", "coverage", "--skip", "api-compat",
        "--skip", "incidents", f"--report=html={html}", f"--report=json={report}",
    )  # fmt: skip
    assert run.code == 0, run.err
    subject = json.loads(report.read_text(encoding="utf-8"))["subject"]
    assert subject["title"] == "Say hello again"
    assert subject["commit"] == sha[:12]
    assert subject["baseline"].startswith("merge base ")
    assert f"commit <code>{sha[:12]}</code>" in html.read_text(encoding="utf-8")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"title": "Greet twice", "body": ""}}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))  # a pull request's title wins
    with_pr = cli("--format", "json", "run", "--skip", "checklist", "--skip", "coverage",
                  "--skip", "api-compat", "--skip", "incidents")  # fmt: skip
    assert json.loads(with_pr.out)["subject"]["title"] == "Greet twice"


def test_a_long_detail_is_cut_in_the_table_of_gates_only() -> None:
    ids = ", ".join(f"tests/test_{n}.py::test_login" for n in range(40))
    page = render([GateResult("tests", "fail", summary=f"40 of 90 tests failed: {ids}")], "html")
    cut = '… <a href="#gate-tests">(all of it)</a></td>'
    assert cut in page
    assert page.index(cut) < page.index("tests/test_39.py")  # the full text is in the section
