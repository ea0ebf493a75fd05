"""Path patterns of the policy: ``**`` spans directories, ``*`` and ``?`` do not.

A pattern with no ``/`` matches the file name at any depth, as in ``.gitignore``:
``*token*`` matches ``authsvc/security/tokens.py``. Paths are repository-relative POSIX paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=512)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """Translate one pattern into an anchored regular expression."""
    if "/" not in pattern.rstrip("/"):
        pattern = "**/" + pattern
    if pattern.endswith("/"):
        pattern += "**"
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def matches(path: str, patterns: Iterable[str]) -> bool:
    """Whether ``path`` matches any of ``patterns``."""
    return any(compile_glob(pattern).match(path) for pattern in patterns)


def glob_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable pattern, or None when it is."""
    if not pattern.strip():
        return "an empty pattern matches nothing"
    if pattern.startswith("/") or "\\" in pattern:
        return "patterns are repository-relative POSIX paths (no leading '/', no '\\')"
    try:
        compile_glob(pattern)
    except re.error as exc:
        return f"invalid pattern: {exc}"
    return None
