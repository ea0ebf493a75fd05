"""The profile keys of the lockout and concurrency properties: ``claims.lockout`` and ``[races]``.

Kept apart from ``parse.py`` because the lockout table is the one claim with a shape of its own:
several keys and defaults that depend on each other. Profiles written before ``lock_seconds``
existed gave only ``window_seconds`` and meant the lock's length by it, so that is still read as
the lock length when ``lock_seconds`` is absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quality_gates import validate as v
from quality_gates.profile.model import LOCK_SCOPES, Lockout, Races

MAX_TRIALS = 1000
MAX_PARTIES = 32
_LOCKOUT_SHAPE = 'a table { threshold = N, lock_seconds = S or "permanent", ... }'


def positive_int(value: object) -> int:
    """An integer >= 1 (booleans are not integers here)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise v.Invalid("an integer >= 1")
    return value


def statuses(value: object) -> tuple[int, ...]:
    """A non-empty list of HTTP status codes."""
    if (
        not isinstance(value, list)
        or not value
        or not all(
            isinstance(s, int) and not isinstance(s, bool) and 100 <= s <= 599 for s in value
        )
    ):
        raise v.Invalid("a non-empty list of HTTP status codes (100-599)")
    return tuple(value)


def _lock_seconds(value: object) -> int | None:
    if value == "permanent":
        return None
    try:
        return positive_int(value)
    except v.Invalid:
        raise v.Invalid('a number of seconds >= 1, or "permanent"') from None


def _bounded(upper: int, lower: int = 1) -> v.Converter:
    def convert(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not lower <= value <= upper:
            raise v.Invalid(f"an integer from {lower} to {upper}")
        return value

    return convert


_LOCKOUT: dict[str, v.Converter] = {
    "threshold": positive_int,
    "lock_seconds": _lock_seconds,
    "window_seconds": positive_int,
    "scope": v.one_of(*LOCK_SCOPES),
    "status": statuses,
    "matches_bad_credentials": v.boolean,
    "slack": v.non_negative_int,
}
_RACES: dict[str, v.Converter] = {
    "trials": _bounded(MAX_TRIALS),
    "parties": _bounded(MAX_PARTIES, lower=2),
}


def parse_lockout(raw: object, problems: list[str]) -> Lockout | None:
    """``claims.lockout``, or ``None`` (with the problems appended) when it is not valid."""
    key = "claims.lockout"
    if not isinstance(raw, Mapping):
        problems.append(f"{key}: expected {_LOCKOUT_SHAPE}, got {v.describe(raw)}")
        return None
    before = len(problems)
    values = v.check_table(raw, key, _LOCKOUT, problems, required=("threshold",))
    if "lock_seconds" not in raw and "window_seconds" not in raw:
        problems.append(
            f"{key}.lock_seconds: missing (required): how long a lock lasts, "
            'in seconds or "permanent"'
        )
    elif "lock_seconds" not in raw and "window_seconds" in values:
        values["lock_seconds"] = values["window_seconds"]
    if values.get("matches_bad_credentials") is False and "status" not in values:
        problems.append(
            f"{key}.status: missing (required when matches_bad_credentials = false): "
            "the status codes of the lock answer"
        )
    if len(problems) > before:
        return None
    return Lockout(**values)


def parse_races(table: Mapping[str, Any], problems: list[str]) -> Races:
    """``[races]``: trials per concurrency check and requests per trial."""
    return Races(**v.check_table(table, "races", _RACES, problems))
