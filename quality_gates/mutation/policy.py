"""``[tool.quality_gates.mutation]``: what to mutate, which tests judge it, how strict, how long.

The same validation style as ``quality_gates.policy``: one converter per key, every problem
reported with its key path. ``SECTIONS`` and ``SECTION_TYPES`` plug into ``policy.py`` like
``policy_deploy``'s.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from quality_gates import validate as v

KEYPATH = "tool.quality_gates.mutation"
SCOPES = ("changed", "all")
JUDGES = ("change", "function")


@dataclass(frozen=True)
class MutationPolicy:
    """``[tool.quality_gates.mutation]``; docs/mutation.md explains each key."""

    paths: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    pytest_args: tuple[str, ...] = ()
    threshold: float = 100.0
    survivors: str = "mutation-survivors.toml"
    time_budget_seconds: float = 600.0
    seed: int = 0
    python: str = ""
    max_children: int = 0
    scope: str = "changed"
    judge: str = "change"


def arguments(value: object) -> tuple[str, ...]:
    """Command-line arguments: a list of strings (may be empty) or one shell-like string."""
    if isinstance(value, str):
        try:
            return tuple(shlex.split(value))
        except ValueError as exc:
            raise v.Invalid(f"arguments ({exc})") from None
    if isinstance(value, list) and all(isinstance(item, str) and item for item in value):
        return tuple(value)
    raise v.Invalid("a list of non-empty strings, or a string")


def children(value: object) -> int:
    """0 (mutmut's default: one per CPU) or a number of parallel mutant runs."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 256:
        raise v.Invalid("an integer 0-256 (0: one per CPU)")
    return value


FIELDS: dict[str, v.Converter] = {
    "paths": v.glob_list,
    "exclude": v.glob_list,
    "tests": arguments,
    "pytest_args": arguments,
    "threshold": v.percent,
    "survivors": v.string,
    "time_budget_seconds": v.positive_number,
    "seed": v.non_negative_int,
    "python": v.string,
    "max_children": children,
    "scope": v.one_of(*SCOPES),
    "judge": v.one_of(*JUDGES),
}
SECTIONS: dict[str, tuple[str, dict[str, v.Converter]]] = {"mutation": ("mutation", FIELDS)}
SECTION_TYPES: dict[str, type[Any]] = {"mutation": MutationPolicy}
