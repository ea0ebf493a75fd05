"""``[tool.quality_gates.behaviour]``: which changed files are re-run, with what, how long.

Plugs into ``quality_gates.policy`` through ``SECTIONS`` and ``SECTION_TYPES``, like the
mutation gate's section.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quality_gates import validate as v
from quality_gates.mutation.policy import arguments

DEFAULT_TEST_FILES = ("**/test_*.py", "**/*_test.py")


@dataclass(frozen=True)
class BehaviourPolicy:
    """``[tool.quality_gates.behaviour]``; docs/gates.md explains each key."""

    test_files: tuple[str, ...] = DEFAULT_TEST_FILES
    pytest_args: tuple[str, ...] = ()
    timeout: float = 600.0


FIELDS: dict[str, v.Converter] = {
    "test_files": v.glob_list,
    "pytest_args": arguments,
    "timeout": v.positive_number,
}
SECTIONS: dict[str, tuple[str, dict[str, v.Converter]]] = {"behaviour": ("behaviour", FIELDS)}
SECTION_TYPES: dict[str, type[Any]] = {"behaviour": BehaviourPolicy}
