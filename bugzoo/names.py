"""The names of the pipeline's stages, shared by the metadata, the runner and the reports."""

from __future__ import annotations

from typing import Literal

#: The stages of the zoo's pipeline, in the order the reports show them. A patch is *blocked*
#: by a stage that fails.
STAGES: tuple[str, ...] = (
    "tests",
    "coverage",
    "api-compat",
    "incidents",
    "behaviour",
    "replay",
    "mutation",
)

#: Gates of the project that the zoo does not run per patch, and why (docs/bugzoo.md).
NOT_RUN: dict[str, str] = {
    "conformance": "about 50 s per patch on a live server; the replay covers its login paths",
    "checklist": "it reads a pull request's body and reviews, which a patch does not have",
}

#: A gate's verdict, as ``quality-gates`` reports it.
Status = Literal["pass", "fail", "error", "skipped"]
STATUSES: tuple[Status, ...] = ("pass", "fail", "error", "skipped")

#: A stage's outcome in the zoo: a gate's verdict, or ``not-run`` when ``--first-block``
#: stopped the patch at an earlier stage (neither a pass nor a catch).
StageStatus = Literal["pass", "fail", "error", "skipped", "not-run"]
STAGE_STATUSES: tuple[StageStatus, ...] = (*STATUSES, "not-run")

Kind = Literal["bug", "benign"]
KINDS: tuple[Kind, ...] = ("bug", "benign")
