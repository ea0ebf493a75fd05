"""The whole policy: the top-level keys and one typed section per gate."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from quality_gates import validate as v
from quality_gates.policy.api_compat import ApiCompatPolicy
from quality_gates.policy.behaviour import BehaviourPolicy
from quality_gates.policy.canary import CanaryPolicy
from quality_gates.policy.checklist import ChecklistPolicy
from quality_gates.policy.coverage import CoveragePolicy
from quality_gates.policy.incidents import IncidentsPolicy
from quality_gates.policy.mutation import MutationPolicy
from quality_gates.policy.replay import ReplayPolicy
from quality_gates.policy.setting import choice, setting

#: Where the policy lives in ``pyproject.toml``: the start of every key path.
ROOT = "tool.quality_gates"
DEFAULT_TEST_PATHS = ("tests/**", "test/**", "**/test_*.py", "**/*_test.py", "**/conftest.py")


@dataclass(frozen=True)
class Policy:
    """The whole policy, with every default filled in."""

    baseline: str = setting(
        "origin/main",
        v.text,
        "compare with the merge base of this git ref",
        flag="--baseline",
        metavar="REF",
    )
    baseline_fallback: str = choice(
        "HEAD~1", ("HEAD~1", "none", "error"), "when the baseline ref is missing", flag=None
    )
    critical_paths: tuple[str, ...] = setting((), v.glob_list, "paths whose changes are critical")
    test_paths: tuple[str, ...] = setting(DEFAULT_TEST_PATHS, v.glob_list, "paths that are tests")
    gates: tuple[str, ...] = setting(
        (), v.string_list, "gates `run` runs (default: the cheap pre-merge ones)"
    )
    checklist: ChecklistPolicy = field(
        default_factory=ChecklistPolicy, metadata={"section": ChecklistPolicy}
    )
    coverage: CoveragePolicy = field(
        default_factory=CoveragePolicy, metadata={"section": CoveragePolicy}
    )
    api_compat: ApiCompatPolicy = field(
        default_factory=ApiCompatPolicy, metadata={"section": ApiCompatPolicy}
    )
    incidents: IncidentsPolicy = field(
        default_factory=IncidentsPolicy, metadata={"section": IncidentsPolicy}
    )
    replay: ReplayPolicy = field(default_factory=ReplayPolicy, metadata={"section": ReplayPolicy})
    canary: CanaryPolicy = field(default_factory=CanaryPolicy, metadata={"section": CanaryPolicy})
    mutation: MutationPolicy = field(
        default_factory=MutationPolicy, metadata={"section": MutationPolicy}
    )
    behaviour: BehaviourPolicy = field(
        default_factory=BehaviourPolicy, metadata={"section": BehaviourPolicy}
    )


def sections() -> dict[str, type[Any]]:
    """The section types by TOML key (``api_compat``), in the order of ``Policy``."""
    return {
        f.name: f.metadata["section"] for f in dataclasses.fields(Policy) if "section" in f.metadata
    }


def settings(kind: type[Any]) -> list[dataclasses.Field[Any]]:
    """The declared settings of ``kind`` (a section, or ``Policy`` for the top-level keys)."""
    return [f for f in dataclasses.fields(kind) if "spec" in f.metadata]
