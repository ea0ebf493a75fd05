"""``[tool.quality_gates.incidents]``: the postmortems and the last test run's results."""

from __future__ import annotations

from dataclasses import dataclass

from quality_gates import validate as v
from quality_gates.policy.setting import Alias, setting


@dataclass(frozen=True)
class IncidentsPolicy:
    """``[tool.quality_gates.incidents]``."""

    directory: str = setting(
        "postmortems",
        v.text,
        "postmortems folder",
        flag=None,
        metavar="DIR",
        aliases=(Alias("--postmortems"),),
    )
    junit: str = setting(
        "reports/junit.xml",
        v.string,
        "JUnit XML of the last test run",
        flag=None,
        metavar="PATH",
        aliases=(Alias("--junit"),),
    )
    marker: str = setting("incident", v.text, "pytest marker naming a guarded incident")
