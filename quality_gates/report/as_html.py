"""One self-contained HTML page: inline CSS, no script, every value escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from quality_gates.report.charts import bar_chart
from quality_gates.result import STATUS_WORDS, GateResult, Table, verdict

_CSS = """
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;
color:#1f2328}
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}
th,td{border:1px solid #d0d7de;padding:.35rem .6rem;text-align:left;vertical-align:top}
.pass{color:#1a7f37}.fail{color:#cf222e}.error{color:#9a6700}.skipped{color:#57606a}
.status{font-weight:600;white-space:nowrap}code{font-size:.9em}
li.error{color:#cf222e}li.warning{color:#9a6700}li.info{color:#57606a}
"""


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(column)}</th>" for column in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in table.rows
    )
    chart = bar_chart(table)
    figure = f"<figure>{chart}</figure>" if chart else ""
    return f"<h3>{escape(table.title)}</h3>{figure}<table><tr>{head}</tr>{body}</table>"


def _gate_section(result: GateResult) -> str:
    items = []
    for finding in result.findings:
        where = f"<code>{escape(finding.location)}</code> " if finding.location else ""
        rule = f"[{escape(finding.rule_id)}] " if finding.rule_id else ""
        items.append(
            f'<li class="{escape(finding.severity)}"><b>{escape(finding.severity)}</b> '
            f"{where}{rule}{escape(finding.message)}"
            + (f"<pre>{escape(finding.evidence)}</pre>" if finding.evidence else "")
            + "</li>"
        )
    metrics = "".join(
        f"<tr><td>{escape(key)}</td><td>{escape(str(value))}</td></tr>"
        for key, value in result.metrics.items()
    )
    parts = [f"<h2>{escape(result.gate)}</h2>"]
    if items:
        parts.append("<ul>" + "".join(items) + "</ul>")
    parts.extend(_table(table) for table in result.tables)
    if metrics:
        parts.append(f"<table><tr><th>metric</th><th>value</th></tr>{metrics}</table>")
    return "\n".join(parts)


def render(results: Sequence[GateResult]) -> str:
    """The whole page."""
    overall = verdict(list(results))
    rows = "".join(
        f'<tr><td>{escape(r.gate)}</td><td class="status {r.status}">'
        f"{escape(STATUS_WORDS[r.status])}</td><td>{escape(r.detail)}</td></tr>"
        for r in results
    )
    sections = "\n".join(_gate_section(result) for result in results)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Quality gates: {escape(overall)}</title><style>{_CSS}</style></head><body>\n"
        f"<h1>Quality gates: {escape(overall)}</h1>\n"
        f"<table><tr><th>gate</th><th>status</th><th>detail</th></tr>{rows}</table>\n"
        f"{sections}\n</body></html>\n"
    )
