"""The one result model every gate returns and every report is rendered from."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Status = Literal["pass", "fail", "error", "skipped"]
Severity = Literal["error", "warning", "info"]
MetricValue = float | int | str

STATUS_WORDS: dict[Status, str] = {
    "pass": "passed",
    "fail": "failed",
    "error": "error",
    "skipped": "skipped",
}

# Exit codes, documented in docs/gates.md.
EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Finding:
    """One thing a gate found: a message, and where when there is a where."""

    message: str
    path: str | None = None
    line: int | None = None
    severity: Severity = "error"
    rule_id: str | None = None
    evidence: str = ""
    """Optional multi-line detail shown under the finding (e.g. the exchanges that decided it)."""

    @property
    def location(self) -> str:
        """``path:line``, ``path`` or an empty string."""
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line is not None else self.path


@dataclass(frozen=True)
class Table:
    """A table a gate adds to its report (e.g. per-segment rates), optional and generic.

    Every report shows it as a table; the HTML report also draws the ``chart`` columns (numbers
    from 0 to 100, one bar per column and row) as an inline SVG bar chart.
    """

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    chart: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "title": self.title,
            "columns": list(self.columns),
            "rows": [list(row) for row in self.rows],
            "chart": list(self.chart),
        }


@dataclass
class GateResult:
    """What one gate concluded.

    ``reason`` says why a gate is ``error`` or ``skipped``; ``summary`` is the one-line detail of
    a pass or a fail. ``internal`` marks an error that is a bug in the gate, not bad input.
    """

    gate: str
    status: Status
    summary: str = ""
    reason: str = ""
    findings: list[Finding] = field(default_factory=list)
    metrics: dict[str, MetricValue] = field(default_factory=dict)
    internal: bool = False
    tables: list[Table] = field(default_factory=list)
    #: Who a failure would hurt, in words, when the gate can tell (the replay: "it would lock
    #: out 51% of the 1000 replayed accounts"); the HTML report opens with it.
    impact: str = ""

    @property
    def detail(self) -> str:
        """The text shown in parentheses after the status."""
        return self.reason if self.status in ("error", "skipped") and self.reason else self.summary

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (the ``internal`` flag included, for tooling).

        ``tables`` and ``impact`` appear only when the gate set them, so other gates' JSON is
        unchanged.
        """
        data = asdict(self)
        # ``evidence`` appears only on findings that have some, so other gates' JSON is unchanged.
        data["findings"] = [
            {key: value for key, value in asdict(finding).items() if key != "evidence" or value}
            for finding in self.findings
        ]
        tables = data.pop("tables")
        if tables:
            data["tables"] = [table.to_dict() for table in self.tables]
        if not data.pop("impact"):
            return data
        return {**data, "impact": self.impact}


@dataclass(frozen=True)
class Subject:
    """What a run judged: the change's title, its commit and the baseline, for the reports."""

    title: str = ""
    commit: str = ""
    baseline: str = ""

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready dict."""
        return asdict(self)


def exit_code(results: list[GateResult]) -> int:
    """The process exit code for a set of results: the worst outcome wins."""
    if any(result.status == "error" and result.internal for result in results):
        return EXIT_INTERNAL
    if any(result.status == "error" for result in results):
        return EXIT_INPUT
    if any(result.status == "fail" for result in results):
        return EXIT_FAIL
    return EXIT_PASS


def verdict(results: list[GateResult]) -> str:
    """``passed``, ``failed`` or ``error`` for the whole set."""
    code = exit_code(results)
    return {EXIT_PASS: "passed", EXIT_FAIL: "failed"}.get(code, "error")


def counts(results: list[GateResult]) -> dict[str, int]:
    """How many results have each status, in a fixed order."""
    return {
        STATUS_WORDS[status]: sum(1 for result in results if result.status == status)
        for status in ("pass", "fail", "error", "skipped")
    }
