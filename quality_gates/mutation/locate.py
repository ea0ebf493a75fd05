"""Where a mutant is: its diff (as ``mutmut show`` prints it) mapped back to a file line.

mutmut diffs the function's text, original against mutant, so hunk line numbers count from the
function's first line. The removed line is looked up in the function's span of the real file
(the nearest occurrence to where the hunk says), which also survives comments above the
function that mutmut may include in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@")


@dataclass(frozen=True)
class Change:
    """The lines a mutant changes: ``original`` as in the file, ``mutated`` as in the mutant."""

    original: str
    mutated: str
    offset: int  # 1-based line, in the function's text, of the first changed line

    @property
    def lines(self) -> list[str]:
        """``- old`` / ``+ new`` lines, for a report."""
        return [f"- {line}" for line in self.original.splitlines()] + [
            f"+ {line}" for line in self.mutated.splitlines()
        ]


def parse(diff: str) -> Change:
    """The removed and added lines of a unified diff, and where the first change is."""
    removed: list[str] = []
    added: list[str] = []
    offset, old_line = 1, 1
    found = False
    for line in diff.splitlines():
        if line.startswith(("--- ", "+++ ")):
            continue
        if match := _HUNK.match(line):
            old_line = int(match.group(1))
            continue
        if line.startswith("-"):
            removed.append(line[1:].strip())
        elif line.startswith("+"):
            added.append(line[1:].strip())
        if line.startswith(("-", "+")) and not found:
            found, offset = True, old_line
        if not line.startswith("+"):
            old_line += 1
    return Change("\n".join(removed), "\n".join(added), offset)


def locate(source_lines: list[str], start: int, end: int, change: Change) -> int:
    """The file line (1-based) of ``change`` in the function spanning ``start``-``end``."""
    expected = min(max(start + change.offset - 1, start), end)
    first = change.original.splitlines()[0] if change.original else ""
    if not first:
        return expected
    candidates = [
        number
        for number in range(start, min(end, len(source_lines)) + 1)
        if source_lines[number - 1].strip() == first
    ]
    return min(candidates, key=lambda number: abs(number - expected), default=expected)
