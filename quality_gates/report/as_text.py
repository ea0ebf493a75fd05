"""Terminal text, nox style: one ``* gate: status (detail)`` line each, findings, a verdict."""

from __future__ import annotations

from collections.abc import Sequence

from quality_gates.result import STATUS_WORDS, Finding, GateResult, Table, counts, verdict

MAX_FINDINGS = 50  # per gate; the JSON report has them all


def finding_line(finding: Finding) -> str:
    """``severity  location  [rule]  message`` with the empty parts left out."""
    parts = [f"{finding.severity:<7}"]
    if finding.location:
        parts.append(finding.location)
    if finding.rule_id:
        parts.append(f"[{finding.rule_id}]")
    parts.append(finding.message)
    return " ".join(parts)


def gate_line(result: GateResult) -> str:
    """``* coverage: passed (total 91.20%)``."""
    line = f"* {result.gate}: {STATUS_WORDS[result.status]}"
    return f"{line} ({result.detail})" if result.detail else line


def verdict_line(results: Sequence[GateResult]) -> str:
    """``Verdict: failed (1 passed, 1 failed, 0 error, 2 skipped)``."""
    tally = ", ".join(f"{count} {word}" for word, count in counts(list(results)).items())
    return f"Verdict: {verdict(list(results))} ({tally})"


def table_lines(table: Table, indent: str = "    ") -> list[str]:
    """A table as aligned columns under its title."""
    widths = [len(column) for column in table.columns]
    for row in table.rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=False)]

    def line(cells: Sequence[str]) -> str:
        return (
            indent
            + "  ".join(
                cell.ljust(width) for cell, width in zip(cells, widths, strict=False)
            ).rstrip()
        )

    return [indent + table.title + ":", line(table.columns), *(line(row) for row in table.rows)]


def render(results: Sequence[GateResult]) -> str:
    """The full terminal report."""
    noun = "gate" if len(results) == 1 else "gates"
    lines = [f"Ran {len(results)} {noun}:"]
    for result in results:
        lines.append(gate_line(result))
        for finding in result.findings[:MAX_FINDINGS]:
            lines.append("    " + finding_line(finding))
            lines += ["        " + line for line in finding.evidence.splitlines()]
        if (extra := len(result.findings) - MAX_FINDINGS) > 0:
            lines.append(f"    ... and {extra} more (see the JSON report)")
        for table in result.tables:
            lines += table_lines(table)
    lines.append(verdict_line(results))
    return "\n".join(lines) + "\n"
