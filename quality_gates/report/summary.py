"""The verdict of a run in words, for any set of gates: a headline and one line of why.

"failed" means the change is blocked, so the words say "blocked"; when a failing gate can say
whom the change would hurt (``GateResult.impact``), the headline says that rather than a count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quality_gates.result import GateResult, exit_code, verdict

#: The status of a gate as the HTML report names it.
STATUS_WORDS = {
    "pass": "passed",
    "fail": "blocked",
    "error": "could not judge",
    "skipped": "skipped",
}


@dataclass(frozen=True)
class Verdict:
    """``kind`` is the overall ``verdict()`` (passed, failed, error)."""

    kind: str
    headline: str
    why: str


#: A headline quotes at most this much of a gate's detail.
HEADLINE_CHARS = 140


def shorten(detail: str, limit: int) -> str:
    """``detail`` cut at a word before ``limit`` characters, with an ellipsis when cut."""
    if len(detail) <= limit:
        return detail
    return detail[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + " …"


def _names(results: Sequence[GateResult]) -> str:
    return ", ".join(result.gate for result in results)


def _of(part: Sequence[GateResult], whole: Sequence[GateResult]) -> str:
    noun = "gate" if len(whole) == 1 else "gates"
    return f"{len(part)} of {len(whole)} {noun}: {_names(part)}"


def summarise(results: Sequence[GateResult]) -> Verdict:
    """The headline ("Blocked: it would lock out 51% of …") and the line under it."""
    kind = verdict(list(results))
    if not results:
        return Verdict(kind, "Nothing judged: no gate ran.", "")
    failed = [r for r in results if r.status == "fail"]
    errors = [r for r in results if r.status == "error"]
    skipped = [r for r in results if r.status == "skipped"]
    if exit_code(list(results)) not in (0, 1):
        first = errors[0]
        reason = shorten(first.detail, HEADLINE_CHARS)
        headline = f"Not judged: the {first.gate} gate could not run ({reason})."
        why = f"Could not judge: {_of(errors, results)}."
        if failed:
            why += f" Blocked by {_of(failed, results)}."
        return Verdict(kind, headline, why)
    if failed:
        first = failed[0]
        told = (
            f"{first.gate}: {shorten(first.detail, HEADLINE_CHARS)}"
            if first.detail
            else f"the {first.gate} gate failed"
        )
        reason = next((r.impact for r in failed if r.impact), told)
        return Verdict(kind, f"Blocked: {reason}.", f"Blocked by {_of(failed, results)}.")
    passed = len(results) - len(skipped)
    why = f"{passed} of {len(results)} gates passed"
    why += f"; skipped: {_names(skipped)}." if skipped else "."
    if not passed:
        return Verdict(kind, "Passed, but nothing was checked: every gate skipped.", why)
    return Verdict(kind, "Passed: no gate found a reason to block this change.", why)
