"""The policy: ``[tool.quality_gates]`` of the checked repository's ``pyproject.toml``.

One module per section (``coverage``, ``checklist``, ...) declares each setting once with
``setting()``; ``load`` validates a policy against those declarations, ``flags`` derives the
command-line flags from them and ``keys`` the table of keys in docs/policy.md. The package sits
below every engine and gate and imports none of them.
"""

from __future__ import annotations

from quality_gates.policy.api_compat import ApiCompatPolicy
from quality_gates.policy.behaviour import BehaviourPolicy
from quality_gates.policy.canary import CanaryPolicy
from quality_gates.policy.checklist import ChecklistItem, ChecklistPolicy
from quality_gates.policy.coverage import CoveragePolicy
from quality_gates.policy.flags import add_flags, overrides_from
from quality_gates.policy.incidents import IncidentsPolicy
from quality_gates.policy.load import apply_overrides, load_policy, parse_policy
from quality_gates.policy.model import Policy
from quality_gates.policy.mutation import MutationPolicy
from quality_gates.policy.replay import ReplayPolicy

__all__ = [
    "ApiCompatPolicy",
    "BehaviourPolicy",
    "CanaryPolicy",
    "ChecklistItem",
    "ChecklistPolicy",
    "CoveragePolicy",
    "IncidentsPolicy",
    "MutationPolicy",
    "Policy",
    "ReplayPolicy",
    "add_flags",
    "apply_overrides",
    "load_policy",
    "overrides_from",
    "parse_policy",
]
