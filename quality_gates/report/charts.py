"""Inline SVG bar charts for the HTML report: no script, no external resource, escaped text.

A chart is drawn from a :class:`~quality_gates.result.Table`: one group of horizontal bars per
row, one bar per ``chart`` column, values read as percentages (0-100).
"""

from __future__ import annotations

from html import escape

from quality_gates.result import Table

#: Bar colours by series position (colour-blind safe: blue, orange, grey).
PALETTE = ("#0969da", "#d4a72c", "#6e7781")
_LABEL_WIDTH = 190
_BAR_WIDTH = 360
_BAR_HEIGHT = 11
_ROW_GAP = 8


def _percent(text: str) -> float | None:
    """A cell as a number 0-100, or ``None`` for "n/a" and the like."""
    try:
        value = float(text.rstrip("%").strip())
    except ValueError:
        return None
    return min(max(value, 0.0), 100.0)


def bar_chart(table: Table) -> str:
    """An ``<svg>`` element for ``table``'s chart columns, or ``""`` when it has none."""
    indexes = [table.columns.index(name) for name in table.chart if name in table.columns]
    if not indexes or not table.rows:
        return ""
    group = len(indexes) * _BAR_HEIGHT + _ROW_GAP
    legend = 22
    height = legend + group * len(table.rows) + 4
    width = _LABEL_WIDTH + _BAR_WIDTH + 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="system-ui,sans-serif" font-size="11">',
        f"<title>{escape(table.title)}</title>",
    ]
    for position, index in enumerate(indexes):
        x = _LABEL_WIDTH + position * 120
        colour = PALETTE[position % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="13">{escape(table.columns[index])}</text>')
    for row_number, row in enumerate(table.rows):
        top = legend + row_number * group
        label = escape(row[0])
        middle = top + len(indexes) * _BAR_HEIGHT / 2 + 4
        parts.append(
            f'<text x="{_LABEL_WIDTH - 6}" y="{middle:.1f}" text-anchor="end">{label}</text>'
        )
        for position, index in enumerate(indexes):
            value = _percent(row[index]) if index < len(row) else None
            y = top + position * _BAR_HEIGHT
            colour = PALETTE[position % len(PALETTE)]
            length = 0.0 if value is None else _BAR_WIDTH * value / 100
            shown = "n/a" if value is None else f"{value:.1f}%"
            parts.append(
                f'<rect x="{_LABEL_WIDTH}" y="{y}" width="{length:.1f}" '
                f'height="{_BAR_HEIGHT - 2}" fill="{colour}"><title>{label} '
                f"{escape(table.columns[index])}: {shown}</title></rect>"
            )
            parts.append(
                f'<text x="{_LABEL_WIDTH + length + 4:.1f}" y="{y + _BAR_HEIGHT - 3}">'
                f"{shown}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
