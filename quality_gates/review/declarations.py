"""Behaviour-change declarations in a pull-request body.

A change that makes a test of the baseline fail is a behaviour change; the author declares each
one on a line of its own, with the test's pytest node id *as it was on the baseline* and why::

    behaviour-change: tests/unit/test_login.py::test_locked_after_5_failures — now after 10

The line may be a list item (``- behaviour-change: …``); ``behavior-change`` is accepted too.
The separator before the reason is an em or en dash, ``--``, `` - `` or ``:``. The node id is
stable: a file path, then ``::``-separated class and test names, then optional parameters in
brackets; declaring a parametrised test without brackets covers all its cases, declaring a
class covers its tests. Lines in code
fences and HTML comments are ignored, as the checklist reader ignores them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from quality_gates.result import Finding
from quality_gates.review.markdown import visible_lines

MIN_REASON = 10
_KEY = re.compile(r"^\s*(?:[-*+]\s+)?\**behaviou?r-change\**\s*:\s*(.*)$", re.IGNORECASE)
_NODE = re.compile(r"[^\s:\[\]]+\.py(?:::[A-Za-z_][A-Za-z0-9_]*)+(?:\[[^\]]*\])?")
_SEPARATOR = re.compile(r"\s*(?:\u2014|\u2013|--|\s-|:)\s*")  # em dash, en dash
_ID_SENTINEL = re.compile("\x00[^\x00]*\x00")


@dataclass(frozen=True)
class Declaration:
    """One declared behaviour change; ``line`` is 1-based in the body."""

    node_id: str
    reason: str
    line: int

    def covers(self, node_id: str) -> bool:
        """This declaration names ``node_id``, the parametrised test it is a case of, or the
        class it is in."""
        return node_id == self.node_id or (
            "[" not in self.node_id
            and node_id.startswith((self.node_id + "[", self.node_id + "::"))
        )


@dataclass(frozen=True)
class Problem:
    """A declaration line that cannot be read."""

    line: int
    message: str


def parse_declarations(body: str) -> tuple[list[Declaration], list[Problem]]:
    """Every declaration of ``body``, and the lines that look like one but are malformed."""
    declarations: list[Declaration] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(visible_lines(body), start=1):
        match = _KEY.match(_ID_SENTINEL.sub("", raw))
        if not match:
            continue
        rest = match.group(1).strip().strip("`")
        node = _NODE.match(rest.replace("`", ""))
        if node is None:
            problems.append(
                Problem(
                    number,
                    "behaviour-change needs a pytest node id as on the baseline "
                    f"(path/test_x.py::test_name), got {rest[:60]!r}",
                )
            )
            continue
        after = rest.replace("`", "")[node.end() :]
        separator = _SEPARATOR.match(after)
        reason = after[separator.end() :].strip() if separator else ""
        if separator is None or len(reason) < MIN_REASON:
            problems.append(
                Problem(
                    number,
                    f"behaviour-change {node.group(0)} needs a reason of at least {MIN_REASON} "
                    "characters after a dash: '<node id> — why the old behaviour goes'",
                )
            )
            continue
        if node.group(0) in seen:
            problems.append(
                Problem(
                    number,
                    f"behaviour-change {node.group(0)} is declared twice "
                    f"(also on line {seen[node.group(0)]})",
                )
            )
            continue
        seen[node.group(0)] = number
        declarations.append(Declaration(node.group(0), reason, number))
    return declarations, problems


def malformed_findings(problems: list[Problem]) -> list[Finding]:
    """One ``declaration-malformed`` finding per unreadable declaration line."""
    return [
        Finding(f"line {p.line} of the body: {p.message}", rule_id="declaration-malformed")
        for p in problems
    ]
