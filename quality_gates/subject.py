"""What a run judged, for the reports: the change's title, its commit and its baseline.

The title is the pull request's when the run has one (``$GITHUB_EVENT_PATH``), else the
subject line of HEAD's commit message. Nothing here may fail a run: a fact git cannot give is
left out of the report.
"""

from __future__ import annotations

import sys

from quality_gates import git
from quality_gates.context import GateContext
from quality_gates.errors import InputError
from quality_gates.result import Subject
from quality_gates.review.pull_request import load_pull_request


def _pull_request_title(ctx: GateContext) -> str:
    try:
        pr = load_pull_request(
            body_file=None, event_file=None, environ=ctx.environ, stdin=sys.stdin
        )
    except InputError:  # the checklist gate reports a broken event file; the title is extra
        return ""
    return pr.title if pr is not None else ""


def describe(ctx: GateContext) -> Subject:
    """The subject of the run in ``ctx``'s repository."""
    head = git.run_git(ctx.repo, "log", "-1", "--format=%H%x00%s", check=False)
    sha, _, message = head.stdout.strip().partition("\0") if head.returncode == 0 else ("", "", "")
    dirty = git.run_git(ctx.repo, "status", "--porcelain", "--untracked-files=no", check=False)
    commit = sha[:12]
    if commit and dirty.stdout.strip():
        commit += " with uncommitted changes"
    try:
        baseline = ctx.baseline.label
    except (InputError, RuntimeError):
        baseline = ""
    return Subject(_pull_request_title(ctx) or message, commit, baseline)
