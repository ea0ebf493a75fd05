"""Accepted survivors: mutants the tests may let live, each with a reason and an expiry date.

The file is TOML (``mutation.survivors``, default ``mutation-survivors.toml``)::

    [[survivor]]
    function = "authsvc.security.identifiers.canonical_email"   # module.function / .Class.method
    original = "for _ in range(_MAX_PASSES):"                    # the line as it is
    mutated = "for _ in range(_MAX_PASSES + 1):"                 # the line as the mutant has it
    reason = "equivalent: one more pass never changes a settled text"
    expires = 2026-12-31
    owner = "@alice"                                             # optional

``function``, ``original`` and ``mutated`` are what the gate's report prints for a survivor, and
they stay true when the function is edited elsewhere, whereas mutmut renumbers its mutants
(``…__mutmut_7``). ``mutant`` (a mutmut name or glob, e.g. ``"authsvc.logs.x_*"``) may be used
instead of, or with, ``function``. Every given selector must match. An expired entry fails
the gate (otherwise it is a permanent exception nobody reviews).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass
from pathlib import Path

from quality_gates import validate as v
from quality_gates.errors import InputError
from quality_gates.tomlfile import read_toml

_FIELDS: dict[str, v.Converter] = {
    "mutant": v.text,
    "function": v.text,
    "original": v.string,
    "mutated": v.string,
    "reason": v.text,
    "expires": v.date,
    "owner": v.text,
}
_REQUIRED = ("reason", "expires")


def normalise(text: str) -> str:
    """Lines with their whitespace runs collapsed: formatting does not change a mutation."""
    return "\n".join(" ".join(line.split()) for line in text.strip().splitlines())


@dataclass(frozen=True)
class Accepted:
    """One entry of the file."""

    index: int
    reason: str
    expires: dt.date
    owner: str = ""
    mutant: str = ""
    function: str = ""
    original: str | None = None
    mutated: str | None = None

    @property
    def label(self) -> str:
        """``survivor[2] (module.function)`` for messages."""
        return f"survivor[{self.index}] ({self.function or self.mutant})"

    def expired(self, today: dt.date) -> bool:
        """Past its expiry date (the date itself is still valid)."""
        return self.expires < today

    def covers(self, name: str, function: str) -> bool:
        """Whether the entry is about this mutant's function (its lines aside)."""
        if self.mutant and not fnmatch.fnmatchcase(name, self.mutant):
            return False
        return not self.function or self.function == function

    def matches(self, name: str, function: str, original: str, mutated: str) -> bool:
        """Whether the entry accepts this mutant."""
        if not self.covers(name, function):
            return False
        if self.original is not None and normalise(self.original) != normalise(original):
            return False
        return self.mutated is None or normalise(self.mutated) == normalise(mutated)


def load_survivors(path: Path, shown: str) -> list[Accepted]:
    """Read and validate the file; ``InputError`` lists every problem with its key path."""
    document = read_toml(path, f"survivors {shown}")
    problems = [
        f"{shown}: " + v.unknown_key("", key, ["survivor"]).removeprefix(".")
        for key in sorted(set(document) - {"survivor"})
    ]
    raw = document.get("survivor", [])
    if not isinstance(raw, list):
        raise InputError(f"{shown}: survivor: expected [[survivor]] tables")
    entries: list[Accepted] = []
    for index, entry in enumerate(raw):
        keypath = f"{shown}: survivor[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{keypath}: expected a table, got {v.describe(entry)}")
            continue
        values = v.check_table(entry, keypath, _FIELDS, problems, required=_REQUIRED)
        if "mutant" not in entry and "function" not in entry:
            problems.append(f"{keypath}: needs a function (or a mutant name or glob)")
        elif all(key in values for key in _REQUIRED):
            entries.append(Accepted(index=index, **values))
    if problems:
        raise InputError(problems)
    return entries
