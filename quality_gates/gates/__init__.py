"""The gate registry.

A gate is a module exposing ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(ctx) -> GateResult``. Options a gate adds are policy overrides when their ``dest`` is a
dotted policy key (``coverage.fail_under``); ``None`` means "not given". To add a gate, write the
module, add it to ``_MODULES`` and its policy section to ``quality_gates.policy``: mypy checks
that it fits.
"""

from __future__ import annotations

import argparse
from typing import Protocol

from quality_gates.context import GateContext
from quality_gates.gates import (
    api_compat,
    behaviour,
    canary,
    checklist,
    coverage,
    incidents,
    mutation,
    replay,
)
from quality_gates.result import GateResult


class Gate(Protocol):
    """What a gate module provides."""

    NAME: str
    HELP: str

    def add_arguments(self, parser: argparse._ActionsContainer) -> None:
        """Add this gate's options (unique across gates: ``run`` accepts them all)."""

    def run(self, ctx: GateContext) -> GateResult:
        """Judge the repository; raise ``InputError`` for bad input."""


_MODULES: tuple[Gate, ...] = (
    checklist,
    coverage,
    api_compat,
    incidents,
    behaviour,
    mutation,
    replay,
    canary,
)
GATES: dict[str, Gate] = {gate.NAME: gate for gate in _MODULES}
#: What ``run`` runs when the policy lists no ``gates``: the pre-merge gates that are cheap
#: enough for every change. ``behaviour`` (it runs the changed test files twice), ``mutation``
#: and ``replay`` (minutes) and ``canary`` (a deploy-time monitor) are opt-in through the
#: policy's ``gates`` or their own command.
DEFAULT_GATES: tuple[str, ...] = ("checklist", "coverage", "api-compat", "incidents")
