"""``[tool.quality_gates.coverage]``: where the data is and the thresholds (percentages)."""

from __future__ import annotations

from dataclasses import dataclass

from quality_gates import validate as v
from quality_gates.policy.setting import Alias, setting


def _threshold(default: float, what: str, old: str) -> float:
    help_text = f"minimum % for {what}"
    aliases = (Alias(old),)
    return setting(  # type: ignore[no-any-return]
        default, v.percent, help_text, flag=None, metavar="PCT", read=float, aliases=aliases
    )


@dataclass(frozen=True)
class CoveragePolicy:
    """``[tool.quality_gates.coverage]``."""

    data_file: str = setting(
        ".coverage",
        v.text,
        "coverage.py data file, relative to the repository",
        flag=None,
        metavar="PATH",
        aliases=(Alias("--data-file"),),
    )
    fail_under: float = _threshold(80.0, "the total", "--fail-under")
    critical_fail_under: float = _threshold(90.0, "each critical path", "--critical-fail-under")
    changed_fail_under: float = _threshold(
        80.0, "changed lines outside critical paths", "--changed-fail-under"
    )
    critical_changed_fail_under: float = _threshold(
        100.0, "changed critical lines", "--critical-changed-fail-under"
    )
    require_branch: bool = setting(
        default=True, convert=v.boolean, help="the data must measure branches"
    )
    omit: tuple[str, ...] = setting((), v.glob_list, "files left out of every figure")
