"""The demo: the incident of 2024-05-25 as a buggy update, through the pre-merge gate.

The incident's patch goes through the zoo's pipeline (with a larger replay population), the
gates' results become one report in every format ``quality-gates`` writes (the HTML page for a
newcomer), and a short summary says which gates blocked it and whom it would have locked out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bugzoo.names import STAGES
from bugzoo.pipeline import SYMBOLS
from bugzoo.results import PatchResult, StageResult
from quality_gates.report import render
from quality_gates.result import Finding, GateResult, Subject, Table

INCIDENT = "incident-2024-05-25"
REPORTS = {"html": "gate.html", "markdown": "gate.md", "json": "gate.json"}
_WORDS = {
    "fail": "BLOCKED",
    "pass": "passed",
    "skipped": "skipped",
    "error": "error",
    "not-run": "not run",
}
_REASON_WIDTH = 110
_SHARE = re.compile(r"for (\d+(?:\.\d+)?)% of accounts")


def _table(data: Mapping[str, Any]) -> Table:
    return Table(
        title=str(data["title"]),
        columns=tuple(str(c) for c in data["columns"]),
        rows=tuple(tuple(str(c) for c in row) for row in data["rows"]),
        chart=tuple(str(c) for c in data.get("chart", ())),
    )


def gate_result(stage: StageResult) -> GateResult:
    """The stage as the gates' own result model, so their renderers can show it."""
    data = stage.gate or {}
    findings = [
        Finding(
            message=str(f["message"]),
            path=f.get("path"),
            line=f.get("line"),
            severity=f.get("severity", "error"),
            rule_id=f.get("rule_id"),
        )
        for f in data.get("findings", [])
    ]
    # The demo runs every stage; a not-run one (a first-block result) reads as nothing judged.
    status = "skipped" if stage.status == "not-run" else stage.status
    return GateResult(
        gate=stage.stage,
        status=status,
        summary=str(data.get("summary", stage.reason if stage.status in ("pass", "fail") else "")),
        reason=str(
            data.get("reason", stage.reason if stage.status in ("error", "skipped") else "")
        ),
        findings=findings,
        metrics=dict(data.get("metrics", {})),
        tables=[_table(t) for t in data.get("tables", [])],
        impact=str(data.get("impact", "")),
    )


def subject(result: PatchResult, base: str) -> Subject:
    """What the demo judged: the update (a patch) applied on ``base``, against ``base``."""
    patch = f"{result.spec.slug}.patch"
    return Subject(
        title=result.spec.title,
        commit=f"{base[:12]} + {patch}" if base else patch,
        baseline=f"{base[:12]} without the patch" if base else "",
    )


def write_reports(result: PatchResult, directory: Path, base: str = "") -> dict[str, Path]:
    """The combined gate report of ``result`` on ``base`` in ``directory``: format -> path."""
    directory.mkdir(parents=True, exist_ok=True)
    gates = [gate_result(stage) for stage in result.stages]
    judged = subject(result, base)
    written = {}
    for fmt, name in REPORTS.items():
        path = directory / name
        path.write_text(render(gates, fmt, judged), encoding="utf-8")
        written[fmt] = path
    (directory / "demo.json").write_text(
        json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return written


def locked_out_share(headline: str) -> str | None:
    """``"51%"`` from the replay headline ``candidate fails login for 51% of accounts: …``."""
    match = _SHARE.search(headline)
    return f"{match.group(1)}%" if match else None


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip(" ,;:") + "…"


def _segments(headline: str) -> str:
    """``segment X (…), also Y, Z`` from the headline: who the share is."""
    who = headline.partition(": ")[2].partition(";")[0]
    return who or headline


def summary(result: PatchResult, html: Path, shown_from: Path) -> list[str]:
    """What the demo prints: the verdict per gate, the share locked out, the report's path."""
    spec = result.spec
    blocked = result.blocked_by
    try:
        where = html.relative_to(shown_from)
    except ValueError:
        where = html
    lines = [f"The update: {spec.title} ({spec.slug}.patch)", ""]
    width = max(len(s) for s in STAGES)
    for stage in result.stages:
        word = _WORDS[stage.status]
        reason = _shorten(stage.reason, _REASON_WIDTH)
        lines.append(f"  {SYMBOLS[stage.status]} {stage.stage:<{width}}  {word:<8} {reason}")
    # For a reader who does not know the catch matrix: a tick means the gate caught it.
    lines.append(
        f"  ({SYMBOLS['fail']} the gate caught the update and blocks it; "
        f"{SYMBOLS['pass']} it passed or had nothing to judge; "
        f"{SYMBOLS['error']} it could not judge)"
    )
    lines.append("")
    if blocked:
        lines.append(
            f"Blocked by {len(blocked)} of {len(result.stages)} gates: {', '.join(blocked)}."
        )
    else:
        lines.append("NOT BLOCKED: every gate passed this update.")
    share = locked_out_share(result.headline)
    replay = result.stage("replay")
    accounts = (replay.gate or {}).get("metrics", {}).get("accounts") if replay else None
    if share is not None:
        among = f" of the {accounts} replayed accounts" if accounts else ""
        lines.append(f"It would have locked out {share}{among}: {_segments(result.headline)}.")
    else:
        lines.append("The replay did not measure users locked out (see the report).")
    lines.append(f"HTML report: {where}")
    return lines
