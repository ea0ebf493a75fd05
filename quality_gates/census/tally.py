"""From census records to segment shares.

Each account counts in one segment: a legacy hash by its scheme and parameters (the bucket the
replay has a segment for), an account on the target's current hash by its e-mail's shape. What
the census cannot see (how people type their passwords, locks, live sessions) keeps the
built-in default share, so a census changes the mix of what it measured and nothing else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from quality_gates.census.lines import Record
from quality_gates.replay.emails import SHAPES
from quality_gates.replay.segments import DEFAULT_SHARES

#: Django's default up to 3.2: a higher count is a 4.0-or-later hash.
PBKDF2_HISTORICAL_MAX = 260_000
#: From 64 MiB up, an argon2 hash is at a modern default (argon2-cffi 21.2, Django 4+).
ARGON2_MODERN_KIB = 65_536
_BY_SHAPE = {"plain": "current", "other": "current", "mixed-case": "email-mixed-case"}
_BY_SHAPE |= {"unicode": "email-unicode"} | dict.fromkeys(SHAPES, "email-shapes")
#: The segments a census measures; the others keep their default share.
OBSERVED = frozenset(
    {
        "legacy-pbkdf2",
        "legacy-pbkdf2-modern",
        "legacy-bcrypt",
        "legacy-bcrypt-2y",
        "legacy-bcrypt-12",
        "legacy-bcrypt-high",
        "argon2-old-params",
        "legacy-argon2-v16",
        "legacy-argon2-modern",
        "disabled",
        *_BY_SHAPE.values(),
    }
)


def _int(record: Record, name: str) -> int:
    value = record.params.get(name, 0)
    return value if isinstance(value, int) else 0


def _bcrypt(record: Record) -> str:
    cost = _int(record, "cost")
    if cost >= 13:
        return "legacy-bcrypt-high"
    if cost == 12:
        return "legacy-bcrypt-12"
    return "legacy-bcrypt-2y" if record.params.get("prefix") == "2y" else "legacy-bcrypt"


def _argon2id(record: Record) -> str:
    if _int(record, "version") == 0x10:
        return "legacy-argon2-v16"
    modern = _int(record, "m") >= ARGON2_MODERN_KIB
    return "legacy-argon2-modern" if modern else "argon2-old-params"


def _pbkdf2(record: Record) -> str:
    modern = _int(record, "iterations") > PBKDF2_HISTORICAL_MAX
    return "legacy-pbkdf2-modern" if modern else "legacy-pbkdf2"


_LEGACY = {"pbkdf2_sha256": _pbkdf2, "bcrypt": _bcrypt, "argon2id": _argon2id}


def segment_of(record: Record) -> str | None:
    """The segment ``record`` belongs to, or ``None`` for a scheme no segment replays."""
    if record.disabled:
        return "disabled"
    if record.current:
        return _BY_SHAPE[record.email_shape]
    legacy = _LEGACY.get(record.scheme)
    return legacy(record) if legacy is not None else None


class Tally:
    """Counts by segment, by e-mail shape, and of accounts on schemes no segment replays."""

    def __init__(self, records: Iterable[Record]) -> None:
        self.segments: Counter[str] = Counter()
        self.shapes: Counter[str] = Counter()
        self.unmapped: Counter[str] = Counter()
        for record in records:
            self.shapes[record.email_shape] += 1
            segment = segment_of(record)
            if segment is None:
                self.unmapped[record.scheme] += 1
            else:
                self.segments[segment] += 1

    @property
    def accounts(self) -> int:
        """Every account the hook reported."""
        return sum(self.segments.values()) + sum(self.unmapped.values())

    def shares(self) -> dict[str, float]:
        """Fractions of 1 for every segment: measured ones in the measured part's mass."""
        defaults = {
            name: share / sum(DEFAULT_SHARES.values()) for name, share in DEFAULT_SHARES.items()
        }
        measured_mass = sum(defaults[name] for name in OBSERVED)
        counted = sum(self.segments.values())
        shares = {}
        for name, default in defaults.items():
            if name in OBSERVED:
                shares[name] = measured_mass * self.segments[name] / counted if counted else 0.0
            else:
                shares[name] = default
        return shares

    def counts(self) -> Mapping[str, int]:
        """The ``[census]`` table: accounts per segment, per shape, per unreplayed scheme."""
        table = {f"segment.{name}": n for name, n in sorted(self.segments.items())}
        table |= {f"shape.{name}": n for name, n in sorted(self.shapes.items())}
        table |= {f"unreplayed.{name}": n for name, n in sorted(self.unmapped.items())}
        return table
