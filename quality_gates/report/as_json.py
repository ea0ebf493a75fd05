"""JSON: the whole result set, for tools (``quality-gates/1`` schema)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from quality_gates.result import GateResult, counts, exit_code, verdict

SCHEMA = "quality-gates/1"


def render(results: Sequence[GateResult]) -> str:
    """``{"schema", "verdict", "exit_code", "counts", "gates": [...]}``."""
    document = {
        "schema": SCHEMA,
        "verdict": verdict(list(results)),
        "exit_code": exit_code(list(results)),
        "counts": counts(list(results)),
        "gates": [result.to_dict() for result in results],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
