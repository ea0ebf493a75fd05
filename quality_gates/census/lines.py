"""Validation of the census hook's lines: shapes and parameters only, never a secret.

The hook runs the target's code on its user table; what it prints leaves the target. So every
line is checked before anything is counted: known keys, small values, and no string that looks
like an address (an ``@``), a hash (a ``$``) or a salt, digest or token (a long run of base64 or
hex). One bad line refuses the whole census.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from types import MappingProxyType

from quality_gates.replay.emails import OTHER_CLASSES, SHAPES

#: Top-level keys of a line; ``scheme`` and ``email_shape`` are required.
KEYS = frozenset({"scheme", "params", "email_shape", "current", "disabled"})
#: Parameter names, each an integer or a short word (bcrypt's ``prefix``).
PARAMS = frozenset({"iterations", "cost", "prefix", "version", "m", "t", "p"})
EMAIL_SHAPES = frozenset(SHAPES + OTHER_CLASSES)
_MAX_PARAM = 1 << 32
# A scheme or word value: short, lower-case, no room for a digest.
_WORD = re.compile(r"[a-z][a-z0-9_-]{0,23}\Z")
_PREFIXES = ("2a", "2b", "2y")
_SECRET_RUN = re.compile(r"[A-Za-z0-9+/=_.-]{16,}")


class LeakError(ValueError):
    """A line holds what looks like a hash, salt, secret or address (exit 4)."""


class LineError(ValueError):
    """A line is not a census record (exit 2)."""


@dataclass(frozen=True)
class Record:
    """One account as the census sees it."""

    scheme: str
    params: MappingProxyType[str, int | str]
    email_shape: str
    current: bool = False
    disabled: bool = False


def _leak(text: str) -> str | None:
    if "@" in text:
        return "an address (it holds an '@')"
    if "$" in text:
        return "a password hash (it holds a '$')"
    if _SECRET_RUN.search(text):
        return "a hash, salt, digest or secret (a long base64 or hex run)"
    return None


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in [str(key), *_strings(item)]]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def parse_line(text: str, number: int) -> Record:
    """Check line ``number`` of the hook's output; raise ``LeakError`` or ``LineError``."""
    where = f"hook line {number}"
    # The raw text first: a line that is not even JSON may still carry a secret.
    if (what := _leak(text)) is not None:
        raise LeakError(f"{where} looks like it holds {what}")
    data = _loads(text, where)
    for piece in _strings(data):
        if (what := _leak(piece)) is not None:
            raise LeakError(f"{where} looks like it holds {what}")
    if not isinstance(data, dict):
        raise LineError(f"{where}: not a JSON object")
    if unknown := sorted(set(data) - KEYS):
        raise LeakError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(KEYS))})")
    scheme, shape = data.get("scheme"), data.get("email_shape")
    if not isinstance(scheme, str) or not _WORD.match(scheme):
        raise LineError(f"{where}: scheme must be a short lower-case name")
    if shape not in EMAIL_SHAPES:
        raise LineError(f"{where}: email_shape must be one of {', '.join(sorted(EMAIL_SHAPES))}")
    flags = {name: data.get(name, False) for name in ("current", "disabled")}
    if not all(isinstance(flag, bool) for flag in flags.values()):
        raise LineError(f"{where}: current and disabled must be true or false")
    return Record(scheme, _params(data.get("params", {}), where), str(shape), **flags)


def _loads(text: str, where: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise LineError(f"{where}: not JSON") from None


def _params(value: object, where: str) -> MappingProxyType[str, int | str]:
    if not isinstance(value, dict):
        raise LineError(f"{where}: params must be an object")
    params: dict[str, int | str] = {}
    for name, item in value.items():
        if name not in PARAMS:
            raise LeakError(
                f"{where}: unknown parameter {name!r} (allowed: {', '.join(sorted(PARAMS))})"
            )
        number_ok = isinstance(item, int) and not isinstance(item, bool) and 0 <= item < _MAX_PARAM
        word_ok = isinstance(item, str) and (_WORD.match(item) or item in _PREFIXES)
        if not (number_ok or word_ok):
            raise LineError(f"{where}: parameter {name!r} must be a small integer or a short word")
        params[name] = item if isinstance(item, str) else int(item)
    return MappingProxyType(params)
