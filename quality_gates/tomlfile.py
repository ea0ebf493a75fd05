"""Reading a TOML input file, with the one-line errors every such file gets."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from quality_gates.errors import InputError


def read_toml(path: Path, where: str) -> dict[str, Any]:
    """The document at ``path``; ``InputError`` "``where``: cannot read / invalid TOML: …"."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{where}: cannot read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: invalid TOML: {exc}") from None
