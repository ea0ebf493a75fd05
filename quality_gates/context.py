"""What a gate is given: the repository, the typed policy, the run's inputs, and git facts."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TextIO

from quality_gates import git
from quality_gates.policy import Policy
from quality_gates.result import Finding

#: Adds a gate's per-run options (not policy keys) to a parser or an argument group.
AddOptions = Callable[[argparse._ActionsContainer], None]


@dataclass(frozen=True)
class Inputs:
    """What one run is given besides the policy: facts about this change, never settings.

    The gates' ``OPTIONS`` add the flags; a flag's ``dest`` is the field's name.
    """

    body_file: str | None = None
    event: str | None = None
    reviews: str | None = None
    labels: tuple[str, ...] = ()
    author: str | None = None
    #: ``--api-compat-spec``: an OpenAPI document generated elsewhere.
    spec: str | None = None
    #: ``canary watch``: asked to watch now, so nothing to watch is bad input.
    watch: bool = False

    @classmethod
    def from_options(cls, options: Mapping[str, object]) -> Inputs:
        """The inputs among parsed options (``vars(args)``); absent ones keep their default."""
        labels = options.get("labels")
        return cls(
            body_file=_text(options.get("body_file")),
            event=_text(options.get("event")),
            reviews=_text(options.get("reviews")),
            labels=tuple(map(str, labels)) if isinstance(labels, list | tuple) else (),
            author=_text(options.get("author")),
            spec=_text(options.get("spec")),
            watch=options.get("canary_action") == "watch",
        )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass
class GateContext:
    """Shared by the gates of one run, so git is asked once whatever the number of gates."""

    repo: Path
    policy: Policy
    environ: Mapping[str, str]
    inputs: Inputs = field(default_factory=Inputs)
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
