"""Which patches the mutation stage runs on: the zoo's time budget does not allow every one.

mutmut takes minutes per patch, so the stage runs on a sample of the patches whose change is in
code the gate mutates (a Python file under ``authsvc/``, migrations excepted, as this
repository's ``[tool.quality_gates.mutation]`` says): ``per_kind`` benign ones and as many buggy
ones, drawn with the baseline commit as the seed, so successive commits rotate through the zoo
and one commit always gets the same sample. ``None`` takes every such patch.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from pathlib import Path

from bugzoo.metadata import PatchSpec

_TARGET = re.compile(r"^\+\+\+ b/(\S+)$", re.MULTILINE)


def mutable(patch: Path) -> bool:
    """Whether the patch changes a file the mutation gate mutates."""
    text = patch.read_text(encoding="utf-8")
    return any(
        path.startswith("authsvc/")
        and path.endswith(".py")
        and not path.startswith("authsvc/migrations/")
        for path in _TARGET.findall(text)
    )


def mutation_sample(specs: Sequence[PatchSpec], seed: str, per_kind: int | None) -> frozenset[str]:
    """The slugs the mutation stage runs on (see the module docstring)."""
    chosen: set[str] = set()
    rng = random.Random(seed)  # noqa: S311 - sampling, not secrecy
    for kind in ("benign", "bug"):
        pool = sorted(s.slug for s in specs if s.kind == kind and mutable(s.patch))
        if per_kind is None or per_kind >= len(pool):
            chosen.update(pool)
        else:
            chosen.update(rng.sample(pool, per_kind))
    return frozenset(chosen)
