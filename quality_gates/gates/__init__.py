"""The gate registry.

A gate is a module exposing ``NAME``, ``HELP``, ``SECTIONS`` (the policy sections it reads:
their flags are its options), ``OPTIONS`` (adders of its per-run options, such as the pull
request's) and ``run(ctx) -> GateResult``. To add a gate, write the module, add it to
``_MODULES`` and its section to ``quality_gates.policy``: mypy checks that it fits.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Protocol

from quality_gates.context import AddOptions, GateContext
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
from quality_gates.policy import Policy
from quality_gates.result import GateResult


class Gate(Protocol):
    """What a gate module provides."""

    NAME: str
    HELP: str
    SECTIONS: tuple[str, ...]
    OPTIONS: tuple[AddOptions, ...]

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

#: A gate's exit code when it runs alone, from its result and the usual code (``canary``:
#: inconclusive is 4, not "skipped = 0"). Inside ``run`` the usual codes apply.
EXIT_CODES: dict[str, Callable[[GateResult, int], int]] = {canary.NAME: canary.exit_code}
#: Actions of a gate's own (``canary watch``): ``(parser, add_common_options)``.
SUBCOMMANDS: dict[
    str, Callable[[argparse.ArgumentParser, Callable[[argparse.ArgumentParser], None]], None]
] = {canary.NAME: canary.add_subcommands}
#: Checks of policy keys that need a gate's engine (the policy imports no engine): each
#: returns its problems with their key paths, reported like the policy's own.
POLICY_CHECKS: dict[str, Callable[[Policy], list[str]]] = {replay.NAME: replay.policy_problems}
