"""What a gate is given: the repository, the policy, its command-line options, and git facts."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TextIO

from quality_gates import git
from quality_gates.policy import Policy
from quality_gates.result import Finding


@dataclass
class GateContext:
    """Shared by the gates of one run, so git is asked once whatever the number of gates."""

    repo: Path
    policy: Policy
    args: argparse.Namespace
    environ: Mapping[str, str]
    stdin: TextIO = field(default_factory=lambda: sys.stdin)

    @cached_property
    def baseline(self) -> git.Baseline:
        """The baseline commit (see ``quality_gates.git``)."""
        return git.resolve_baseline(self.repo, self.policy.baseline, self.policy.baseline_fallback)

    @cached_property
    def changes(self) -> git.Changes:
        """Changed files and lines since the baseline."""
        return git.collect_changes(self.repo, self.baseline)

    def baseline_findings(self) -> list[Finding]:
        """A warning when the baseline is not the merge base, for every gate that uses it."""
        if not self.baseline.note:
            return []
        return [Finding(self.baseline.note, severity="warning", rule_id="baseline-fallback")]

    def path(self, relative: str) -> Path:
        """A policy path, relative to the repository root."""
        return self.repo / relative
