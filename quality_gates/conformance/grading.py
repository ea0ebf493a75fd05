"""How one check's outcome is graded: audit by default.

Every check runs whether or not the profile claims its property. What the claim changes is the
grade of a violation: a claimed property that does not hold is a *failure*; an unclaimed one is
an *observation* (reported with its evidence, exit 0 unless ``--strict``). The support layer
(``properties/_support.py``) records here which claims the running check relied on; the plugin
reads it when it turns the check's outcome into a status.

One check runs at a time (its race threads share the state), so one module-level record is
enough; the plugin resets it before each check's setup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: Per check, in the JSON report and every renderer.
CheckStatus = Literal["passed", "failed", "observed", "error", "skipped", "not-run"]
STATUSES: tuple[CheckStatus, ...] = ("passed", "failed", "observed", "error", "skipped", "not-run")


@dataclass
class Grading:
    """What the running check relied on: unclaimed claims (audited) and a not-run reason."""

    unclaimed: list[str] = field(default_factory=list)
    not_run: str = ""


_current = Grading()


def reset() -> Grading:
    """A fresh record for the check about to run."""
    global _current  # noqa: PLW0603 - the one per-check record, see the module docstring
    _current = Grading()
    return _current


def current() -> Grading:
    """The running check's record."""
    return _current
