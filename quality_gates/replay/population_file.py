"""Population files: the share of each segment, measured by ``quality-gates census`` or written
by hand, that the replay uses instead of its built-in defaults (docs/census.md).

Format (TOML)::

    [shares]              # required: segment name = fraction of the population, summing to 1
    legacy-pbkdf2 = 0.41
    current = 0.12
    [census]              # optional, informational: what the census counted

Every problem is an ``InputError`` of one line naming the file.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

from quality_gates.errors import InputError
from quality_gates.replay.segments import SEGMENTS
from quality_gates.tomlfile import read_toml

#: How far the shares may sum from 1 (they are written rounded).
SUM_TOLERANCE = 0.01
_SECTIONS = frozenset({"shares", "census"})


def read_population(path: Path) -> dict[str, float]:
    """The shares of the population file at ``path``; segments it leaves out get 0."""
    where = f"population file {path}"
    data = read_toml(path, where)
    if unknown := sorted(set(data) - _SECTIONS):
        raise InputError(f"{where}: unknown section {unknown[0]!r} (expected [shares], [census])")
    table = data.get("shares")
    if not isinstance(table, dict) or not table:
        raise InputError(f"{where}: needs a [shares] table of segment = fraction")
    return check_shares(table, where)


def check_shares(table: Mapping[str, object], where: str) -> dict[str, float]:
    """Validate a share table: known segments, numbers >= 0, summing to 1 (within 1%)."""
    shares: dict[str, float] = {}
    for name, value in table.items():
        if name not in SEGMENTS:
            raise InputError(f"{where}: unknown segment {name!r}")
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise InputError(f"{where}: segment {name!r}: share must be a number")
        if value < 0:
            raise InputError(f"{where}: segment {name!r}: negative share {value}")
        shares[name] = float(value)
    total = sum(shares.values())
    if not math.isclose(total, 1.0, abs_tol=SUM_TOLERANCE):
        raise InputError(f"{where}: shares sum to {total:.4f}, not 1")
    return {name: shares.get(name, 0.0) for name in SEGMENTS}


def write_population(
    path: Path, shares: Mapping[str, float], census: Mapping[str, int], header: str
) -> None:
    """Write atomically: a temporary file beside ``path``, renamed only once complete."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines += ["", "[shares]"]
    lines += [f'"{name}" = {share:.6f}' for name, share in shares.items() if share > 0]
    lines += ["", "[census]", "# accounts counted, by segment and by e-mail shape"]
    lines += [f'"{key}" = {count}' for key, count in census.items()]
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InputError(f"--out {path}: cannot write: {exc.strerror}") from None
