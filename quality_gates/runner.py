"""Run gates: turn bad input and bugs into ``error`` results so one gate never hides another."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterable
from typing import TextIO

from quality_gates.context import GateContext
from quality_gates.errors import InputError
from quality_gates.gates import GATES
from quality_gates.result import Finding, GateResult


def run_gate(name: str, ctx: GateContext, stderr: TextIO | None = None) -> GateResult:
    """Run one gate; bad input and internal errors are reported on stderr and as results."""
    err = stderr or sys.stderr
    try:
        return GATES[name].run(ctx)
    except InputError as exc:
        for problem in exc.problems:
            print(f"quality-gates: {name}: {problem}", file=err)
        if len(exc.problems) == 1:  # the reason says it all
            return GateResult(name, "error", reason=exc.problems[0])
        reason = f"{len(exc.problems)} problems"
        findings = [Finding(problem, rule_id="bad-input") for problem in exc.problems]
        return GateResult(name, "error", reason=reason, findings=findings)
    except Exception as exc:  # noqa: BLE001 - a bug in one gate must not hide the others
        print(f"quality-gates: {name}: internal error (a bug; please report it):", file=err)
        traceback.print_exc(file=err)
        reason = f"internal error: {type(exc).__name__}: {exc}"
        return GateResult(name, "error", reason=reason, internal=True)


def run_gates(names: Iterable[str], ctx: GateContext, skip: Iterable[str] = ()) -> list[GateResult]:
    """Run ``names`` in order; the ones in ``skip`` are reported as skipped."""
    skipped = set(skip)
    return [
        GateResult(name, "skipped", reason="skipped by --skip")
        if name in skipped
        else run_gate(name, ctx)
        for name in names
    ]
