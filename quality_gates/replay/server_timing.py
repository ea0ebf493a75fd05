"""One metric's duration from ``Server-Timing`` headers (W3C Server Timing), in seconds.

Written here because neither httpx nor the standard library parses the header, and the replay
needs one number of it. The grammar: entries separated by commas, each a metric name and
``;name=value`` parameters, a value a token or a quoted string (which may hold commas and
semicolons); ``dur`` is in milliseconds. Anything malformed reads as "no figure", so a pair
falls back to the round trip rather than failing the replay.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

# A run of characters outside quotes, or a whole quoted string: what lies between separators.
_PART = r'(?:[^{sep}"]|"(?:\\.|[^"\\])*")+'
_ENTRY = re.compile(_PART.format(sep=","))
_PARAM = re.compile(_PART.format(sep=";"))


def _dur(params: Iterable[str]) -> float | None:
    """The first ``dur`` parameter in seconds; ``None`` when there is none or it is no number."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() != "dur":
            continue
        try:
            millis = float(value.strip().strip('"'))
        except ValueError:
            return None
        return millis / 1000 if math.isfinite(millis) and millis >= 0 else None
    return None


def server_seconds(values: Iterable[str], metric: str) -> float | None:
    """``metric``'s ``dur`` in seconds from the header values (its first entry), or ``None``."""
    for value in values:
        for entry in _ENTRY.findall(value):
            parts = [part.strip() for part in _PARAM.findall(entry)]
            if parts and parts[0] == metric:
                return _dur(parts[1:])
    return None
