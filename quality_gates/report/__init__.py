"""Reports: every format is rendered from the same list of ``GateResult``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from quality_gates.report import as_html, as_json, as_junit, as_markdown, as_text
from quality_gates.result import GateResult, Subject

Renderer = Callable[[Sequence[GateResult]], str]

RENDERERS: dict[str, Renderer] = {
    "text": as_text.render,
    "json": as_json.render,
    "markdown": as_markdown.render,
    "junit": as_junit.render,
    "html": as_html.render,
}
FORMATS = tuple(RENDERERS)


def render(results: Sequence[GateResult], fmt: str, subject: Subject | None = None) -> str:
    """Render ``results`` in ``fmt`` (one of ``FORMATS``).

    ``subject`` (what was judged) appears in the HTML and JSON reports when given.
    """
    if fmt == "html":
        return as_html.render(results, subject)
    if fmt == "json":
        return as_json.render(results, subject)
    return RENDERERS[fmt](results)
