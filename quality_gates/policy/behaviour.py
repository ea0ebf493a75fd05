"""``[tool.quality_gates.behaviour]``: which changed files are re-run, with what, how long."""

from __future__ import annotations

from dataclasses import dataclass

from quality_gates import validate as v
from quality_gates.policy import converters as c
from quality_gates.policy.setting import setting

DEFAULT_TEST_FILES = ("**/test_*.py", "**/*_test.py")


@dataclass(frozen=True)
class BehaviourPolicy:
    """``[tool.quality_gates.behaviour]``; docs/gates.md explains each key."""

    test_files: tuple[str, ...] = setting(
        DEFAULT_TEST_FILES, v.glob_list, "changed files that are test files"
    )
    pytest_args: tuple[str, ...] = setting((), c.arguments, "extra pytest arguments")
    timeout: float = setting(600.0, v.positive_number, "seconds each run may take")
