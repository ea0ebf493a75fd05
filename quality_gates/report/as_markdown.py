"""Markdown for a pull-request comment or ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

import re
from collections.abc import Sequence

from quality_gates.result import STATUS_WORDS, Finding, GateResult, Status, Table, verdict

ICONS: dict[Status, str] = {"pass": "✅", "fail": "❌", "error": "⚠️", "skipped": "⏭️"}
MAX_FINDINGS = 100
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def escape(text: str) -> str:
    """Make arbitrary text inert in Markdown (and in the HTML GitHub allows in it)."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _finding(finding: Finding) -> str:
    location = finding.location.replace("`", "'")
    where = f"`{location}` " if location else ""
    rule = f"[{escape(finding.rule_id)}] " if finding.rule_id else ""
    line = f"- **{finding.severity}** {where}{rule}{escape(finding.message)}"
    if not finding.evidence:
        return line
    # Indented under the item; a fence longer than any backtick run inside cannot be closed early.
    longest = max((len(run) for run in re.findall("`+", finding.evidence)), default=0)
    fence = "`" * max(3, longest + 1)
    block = [fence, *finding.evidence.splitlines(), fence]
    return "\n".join([line, *("  " + text for text in block)])


def _table(gate: str, table: Table) -> list[str]:
    lines = ["", f"**{escape(gate)}: {escape(table.title)}**", ""]
    lines.append("| " + " | ".join(escape(column) for column in table.columns) + " |")
    lines.append("|" + " --- |" * len(table.columns))
    lines += ["| " + " | ".join(escape(cell) for cell in row) + " |" for row in table.rows]
    return lines


def render(results: Sequence[GateResult]) -> str:
    """A heading with the verdict, a table of gates, then the findings of each gate."""
    overall = verdict(list(results))
    icon = {"passed": "✅", "failed": "❌"}.get(overall, "⚠️")
    lines = [
        f"## {icon} Quality gates: {overall}",
        "",
        "| gate | status | detail |",
        "| --- | --- | --- |",
    ]
    for result in results:
        status = f"{ICONS[result.status]} {STATUS_WORDS[result.status]}"
        lines.append(f"| {escape(result.gate)} | {status} | {escape(result.detail)} |")
    for result in results:
        for table in result.tables:
            lines += _table(result.gate, table)
    for result in results:
        if not result.findings:
            continue
        count = len(result.findings)
        lines += ["", "<details" + (" open" if result.status in ("fail", "error") else "") + ">"]
        lines += [
            f"<summary>{escape(result.gate)}: {count} finding{'s' * (count != 1)}</summary>",
            "",
        ]
        lines += [_finding(finding) for finding in result.findings[:MAX_FINDINGS]]
        if count > MAX_FINDINGS:
            lines.append(f"- … and {count - MAX_FINDINGS} more (see the JSON report)")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
