"""JSON: the whole result set, for tools (``quality-gates/1`` schema)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from quality_gates.result import GateResult, Subject, counts, exit_code, verdict

SCHEMA = "quality-gates/1"


def render(results: Sequence[GateResult], subject: Subject | None = None) -> str:
    """``{"schema", "verdict", "exit_code", "counts", "gates": [...]}``, and ``subject``
    (title, commit, baseline) when the caller knows what was judged."""
    document: dict[str, object] = {
        "schema": SCHEMA,
        "verdict": verdict(list(results)),
        "exit_code": exit_code(list(results)),
        "counts": counts(list(results)),
        "gates": [result.to_dict() for result in results],
    }
    if subject is not None:
        document["subject"] = subject.to_dict()
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
