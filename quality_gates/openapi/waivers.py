"""Waivers: accepted breaking changes, each with a reason, an owner and an expiry date.

The file is TOML::

    [[waiver]]
    rule = "response-optional-property-removed"   # an oasdiff rule id
    path = "POST /v1/login"                        # "METHOD /path", or "/path" for any method
    reason = "field unused since v2 clients; see #123"
    owner = "@alice"
    expires = 2025-09-30

An expired waiver fails the gate (it would otherwise be a permanent exception nobody reviews);
a waiver that matches no change is reported so it can be deleted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from quality_gates import validate as v
from quality_gates.errors import InputError
from quality_gates.openapi.changes import Change
from quality_gates.tomlfile import read_toml

_FIELDS: dict[str, v.Converter] = {
    "rule": v.text,
    "path": v.text,
    "reason": v.text,
    "owner": v.text,
    "expires": v.date,
}


@dataclass(frozen=True)
class Waiver:
    """One accepted change."""

    rule: str
    path: str
    reason: str
    owner: str
    expires: dt.date
    index: int

    def matches(self, change: Change) -> bool:
        """Same rule, same operation (or same path, any method)."""
        if change.rule_id != self.rule:
            return False
        if " " in self.path:
            return change.operation == self.path
        return change.operation.split(" ", 1)[-1] == self.path


def load_waivers(path: Path, shown: str) -> list[Waiver]:
    """Read and validate a waivers file; every problem is reported with its key path."""
    document = read_toml(path, f"waivers {shown}")
    problems: list[str] = []
    extra = sorted(set(document) - {"waiver"})
    problems += [v.unknown_key(shown, key, ["waiver"]) for key in extra]
    raw = document.get("waiver", [])
    if not isinstance(raw, list):
        raise InputError(f"{shown}: waiver: expected [[waiver]] tables")
    waivers = []
    for index, entry in enumerate(raw):
        values = v.check_table(
            entry, f"{shown}: waiver[{index}]", _FIELDS, problems, required=tuple(_FIELDS)
        )
        if len(values) == len(_FIELDS):
            waivers.append(Waiver(index=index, **values))
    if problems:
        raise InputError(problems)
    return waivers
