"""Read a checklist out of a pull-request body.

Items are Markdown task-list entries (``- [ ]`` / ``- [x]``). An item is identified by a stable
id comment, ``<!-- id:threat-model -->``, so rewording its text neither breaks nor satisfies it.
Ignored, as a reader would: fenced code blocks, HTML comments (a task inside a comment is not a
task), and struck-through items (``- [ ] ~~text~~``), which are reported as struck.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ID = re.compile(r"<!--\s*id:\s*([A-Za-z0-9_-]+)\s*-->")
_SENTINEL = "\x00"
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_TASK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[([ xX])\](?:\s+(.*))?$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_EXEMPTION = re.compile(r"^\s*\**exemption reason\**\s*:\s*(.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Task:
    """One task-list entry; ``line`` is 1-based in the original body."""

    checked: bool
    text: str
    item_id: str | None
    struck: bool
    line: int


@dataclass(frozen=True)
class ParsedBody:
    """What the gate needs from a body."""

    tasks: tuple[Task, ...]
    prose: str  # text outside tasks, comments, fences and headings
    exemption_reason: str


def _strip_fences(lines: list[str]) -> list[str]:
    """Blank out fenced code blocks, keeping line numbers."""
    out: list[str] = []
    fence: str | None = None
    for line in lines:
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            out.append("")
        elif fence is not None:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                rest = line.strip()[len(match.group(1)) :]
                if not rest.strip():
                    fence = None
            out.append("")
        else:
            out.append(line)
    return out


def _strip_comments(text: str) -> str:
    """Remove HTML comments, keeping id comments (as sentinels) and line numbers."""
    text = _ID.sub(lambda m: f"{_SENTINEL}{m.group(1).lower()}{_SENTINEL}", text)
    return _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def visible_lines(body: str) -> list[str]:
    """The body's lines as a reader sees them: fenced code and HTML comments blanked (line
    numbers kept); id comments become sentinels that :func:`parse_body` reads."""
    lines = _strip_fences(body.replace("\r\n", "\n").split("\n"))
    return _strip_comments("\n".join(lines)).split("\n")


def parse_body(body: str) -> ParsedBody:
    """Find the tasks, the free prose and the exemption reason of a PR body."""
    lines = visible_lines(body)
    tasks: list[Task] = []
    prose: list[str] = []
    reason = ""
    sentinel = re.compile(f"{_SENTINEL}([^{_SENTINEL}]*){_SENTINEL}")
    for number, line in enumerate(lines, start=1):
        ids = sentinel.findall(line)
        clean = sentinel.sub("", line)
        match = _TASK.match(clean)
        if match:
            text = (match.group(2) or "").strip()
            struck = text.startswith("~")
            tasks.append(
                Task(
                    match.group(1) != " ",
                    text.strip("~ ").strip(),
                    ids[0] if ids else None,
                    struck,
                    number,
                )
            )
            continue
        if exemption := _EXEMPTION.match(clean):
            reason = exemption.group(1).strip()
            continue
        if clean.strip() and not clean.lstrip().startswith("#"):
            prose.append(clean.strip())
    return ParsedBody(tuple(tasks), "\n".join(prose), reason)


def normalise(body: str) -> str:
    """Whitespace-insensitive form, to tell an untouched template from an edited one."""
    return " ".join(body.split())
