"""One self-contained HTML page: inline CSS, no script, every value escaped.

It reads top-down the way a reviewer asks: the verdict in words, what was judged, the most
telling chart (the first one of a blocking gate), then one section per gate. Long lists sit in
``<details>``; long unbroken text (test ids, paths) wraps, so nothing scrolls sideways.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from quality_gates.report.charts import bar_chart
from quality_gates.report.summary import STATUS_WORDS, shorten, summarise
from quality_gates.result import Finding, GateResult, Subject, Table

#: Lists longer than this start collapsed.
OPEN_ITEMS = 5
#: The table of gates shows this much of a detail; the gate's own section has all of it.
DETAIL_CHARS = 200
#: The visible-space marker gates put in masked values (``␠a***@example.com``). Default
#: Chromium fonts have no glyph for U+2420, so the page draws it as an open box in CSS.
SPACE_MARK = "\u2420"
_SPACE = '<span class="sp" title="space" role="img" aria-label="space"></span>'

_CSS = """
body{font:15px/1.5 system-ui,sans-serif;margin:1.5rem auto;max-width:60rem;padding:0 1rem;
color:#1f2328}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1rem}
.verdict{padding:.8rem 1rem;border-radius:6px;border-left:6px solid}
.verdict.failed{background:#ffebe9;border-color:#cf222e}
.verdict.passed{background:#dafbe1;border-color:#1a7f37}
.verdict.error{background:#fff8c5;border-color:#9a6700}
.verdict p{margin:.2rem 0}.subject{margin:.6rem 0;color:#57606a}
.subject b{color:#1f2328}
table{border-collapse:collapse;width:100%;margin-bottom:1rem;table-layout:auto}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
td,li,dd,p,summary,code{overflow-wrap:anywhere;word-break:break-word}
.pass{color:#1a7f37}.fail{color:#cf222e}.error{color:#9a6700}.skipped{color:#57606a}
.status,.gate{font-weight:600;white-space:nowrap}code{font-size:.9em}
li.error{color:#cf222e}li.warning{color:#9a6700}li.info{color:#57606a}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;padding:.5rem;
border-radius:6px;color:#1f2328;font-size:.85em}
figure{margin:.5rem 0}svg{max-width:100%;height:auto}
details{margin:.4rem 0 1rem}summary{cursor:pointer;color:#0969da}
.sp{display:inline-block;width:.6em;height:.35em;margin:0 .06em;border:1.5px solid currentColor;
border-top:0;vertical-align:-.05em}
footer{margin-top:2rem;color:#57606a;font-size:.9em}
"""


def text(value: str) -> str:
    """Escape ``value`` for HTML, drawing the visible-space marker so every browser shows it."""
    return escape(value).replace(SPACE_MARK, _SPACE)


def _collapsible(summary: str, body: str, count: int) -> str:
    if count <= OPEN_ITEMS:
        return body
    return f"<details><summary>{summary}</summary>{body}</details>"


def _table(table: Table, *, chart: bool = True) -> str:
    head = "".join(f"<th>{text(column)}</th>" for column in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{text(cell)}</td>" for cell in row) + "</tr>" for row in table.rows
    )
    drawn = bar_chart(table) if chart else ""
    figure = f"<figure>{drawn}</figure>" if drawn else ""
    rows = len(table.rows)
    grid = f"<table><tr>{head}</tr>{body}</table>"
    # A charted table's numbers are in its chart (here or at the top): the grid can wait.
    listed = _collapsible(f"the table ({rows} rows)", grid, rows if bar_chart(table) else 0)
    return f"<h3>{text(table.title)}</h3>{figure}{listed}"


def _brief(result: GateResult) -> str:
    if len(result.detail) <= DETAIL_CHARS:
        return text(result.detail)
    cut = shorten(result.detail, DETAIL_CHARS)
    return f'{text(cut)} <a href="#gate-{escape(result.gate)}">(all of it)</a>'


def _finding(finding: Finding) -> str:
    where = f"<code>{text(finding.location)}</code> " if finding.location else ""
    rule = f"[{text(finding.rule_id)}] " if finding.rule_id else ""
    return (
        f'<li class="{escape(finding.severity)}"><b>{escape(finding.severity)}</b> '
        f"{where}{rule}{text(finding.message)}"
        # The exchanges that decided it (conformance evidence), kept as written, wrapped.
        + (f"<pre>{text(finding.evidence)}</pre>" if finding.evidence else "")
        + "</li>"
    )


def _gate_section(result: GateResult, shown: Table | None) -> str:
    status = STATUS_WORDS[result.status]
    parts = [
        f'<h2 id="gate-{escape(result.gate)}">{text(result.gate)} '
        f'<span class="status {result.status}">{status}</span></h2>'
    ]
    if result.detail:
        parts.append(f"<p>{text(result.detail)}</p>")
    if result.findings:
        count = len(result.findings)
        items = "<ul>" + "".join(_finding(f) for f in result.findings) + "</ul>"
        parts.append(_collapsible(f"{count} findings", items, count))
    parts.extend(_table(table, chart=table is not shown) for table in result.tables)
    if result.metrics:
        rows = "".join(
            f"<tr><td>{text(key)}</td><td>{text(str(value))}</td></tr>"
            for key, value in result.metrics.items()
        )
        grid = f"<table><tr><th>metric</th><th>value</th></tr>{rows}</table>"
        parts.append(f"<details><summary>{len(result.metrics)} metrics</summary>{grid}</details>")
    return "\n".join(parts)


def headline_chart(results: Sequence[GateResult]) -> tuple[GateResult, Table] | None:
    """The chart to show first: a blocking gate's, else any gate's, else none."""
    ranked = sorted(results, key=lambda r: r.status != "fail")  # stable: gate order kept
    for result in ranked:
        for table in result.tables:
            if bar_chart(table):
                return result, table
    return None


def _subject(subject: Subject | None) -> str:
    if subject is None:
        return ""
    facts = []
    if subject.title:
        facts.append(f"<b>{text(subject.title)}</b>")
    if subject.commit:
        facts.append(f"commit <code>{text(subject.commit)}</code>")
    if subject.baseline:
        facts.append(f"against {text(subject.baseline)}")
    return f'<p class="subject">Judged: {" · ".join(facts)}</p>' if facts else ""


def render(results: Sequence[GateResult], subject: Subject | None = None) -> str:
    """The whole page."""
    said = summarise(results)
    top = headline_chart(results)
    first = ""
    if top is not None:
        gate, table = top
        first = (
            f"<h3>{text(gate.gate)}: {text(table.title)}</h3><figure>{bar_chart(table)}</figure>"
        )
    rows = "".join(
        f'<tr><td class="gate"><a href="#gate-{escape(r.gate)}">{text(r.gate)}</a></td>'
        f'<td class="status {r.status}">{STATUS_WORDS[r.status]}</td><td>{_brief(r)}</td></tr>'
        for r in results
    )
    sections = "\n".join(_gate_section(r, top[1] if top else None) for r in results)
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Quality gates: {escape(said.headline)}</title><style>{_CSS}</style></head><body>\n"
        f'<header class="verdict {said.kind}" id="verdict"><h1>{text(said.headline)}</h1>'
        f"<p>{text(said.why)}</p></header>\n{_subject(subject)}\n"
        f'<section id="headline-chart">{first}</section>\n'
        f"<table><tr><th>gate</th><th>status</th><th>detail</th></tr>{rows}</table>\n"
        f"{sections}\n"
    )
    legend = (
        f"<footer>{_SPACE} marks a space (at the start or end of a value).</footer>\n"
        if _SPACE in page
        else ""
    )
    return page + legend + "</body></html>\n"
