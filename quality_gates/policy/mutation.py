"""``[tool.quality_gates.mutation]``: what to mutate, which tests judge, how strict, how long.

docs/mutation.md explains each key.
"""

from __future__ import annotations

from dataclasses import dataclass

from quality_gates import validate as v
from quality_gates.policy import converters as c
from quality_gates.policy.setting import Alias, choice, setting

SCOPES = ("changed", "all")
JUDGES = ("change", "function")


@dataclass(frozen=True)
class MutationPolicy:
    """``[tool.quality_gates.mutation]``."""

    paths: tuple[str, ...] = setting((), v.glob_list, "what to mutate (default: critical_paths)")
    exclude: tuple[str, ...] = setting((), v.glob_list, "files never mutated")
    tests: tuple[str, ...] = setting((), c.arguments, "the tests that judge the mutants")
    pytest_args: tuple[str, ...] = setting((), c.arguments, "extra pytest arguments")
    threshold: float = setting(
        100.0, v.percent, "minimum score", flag=None, metavar="PCT", read=float
    )
    survivors: str = setting(
        "mutation-survivors.toml",
        v.string,
        "accepted survivors file (TOML)",
        flag=None,
        metavar="PATH",
        aliases=(Alias("--survivors"),),
    )
    time_budget_seconds: float = setting(
        600.0,
        v.positive_number,
        "time budget; past it the rest is sampled",
        flag="--mutation-budget",
        metavar="SECONDS",
        read=float,
    )
    seed: int = setting(0, v.non_negative_int, "sampling seed", flag=None, metavar="N", read=int)
    python: str = setting(
        "",
        v.string,
        "interpreter that has mutmut 3",
        flag=None,
        metavar="PATH",
        aliases=(Alias("--mutmut-python"),),
    )
    max_children: int = setting(0, c.children, "parallel runs", flag=None, metavar="N", read=int)
    scope: str = choice(
        "changed",
        SCOPES,
        "changed: the changed functions of the critical paths; all: every function there",
        flag=None,
        aliases=(Alias("--all", const="all"),),
    )
    judge: str = choice("change", JUDGES, "which tests judge a mutant")
