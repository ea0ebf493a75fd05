"""Judging the change, not the neighbourhood: which mutants of a touched function count.

With ``judge = "change"`` (the default) a mutant counts toward the verdict when it sits on a
line the change added or modified (git's ``-U0`` hunks; a pure deletion marks the line before
it, where the code that replaced it now is). A mutant elsewhere in a touched function that
survives is compared with its twin on the baseline (``baseline.py``):

- the twin survives too: *old debt*, listed as information, never failing the change;
- the twin is killed: the change made the tests weaker there (a *regression*), which fails;
- no twin, or the baseline run could not test it: the survivor counts like one on a changed
  line (no twin) or is a warning (not compared, e.g. past the time budget).

``judge = "function"`` counts every mutant of the touched functions, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from quality_gates.mutation import results as r
from quality_gates.mutation.locate import Change, locate, parse
from quality_gates.mutation.runner import Outcome
from quality_gates.mutation.scope import Function, Scope
from quality_gates.result import Finding, Table

SURVIVING = (r.SURVIVED, r.TIMEOUT)
UNTESTED = "untested"  # the twin exists on the baseline but was not run
NO_TWIN = "no twin"  # no mutant like it on the baseline


@dataclass(frozen=True)
class Focus:
    """The mutants the verdict counts, and the surviving ones it only reports."""

    counted: frozenset[str]
    regressions: frozenset[str] = frozenset()
    debt: tuple[str, ...] = ()
    unresolved: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())  # what went wrong comparing with the baseline


@dataclass(frozen=True)
class Placed:
    """A tested mutant with its function, its change and its file line."""

    mutant: r.Mutant
    function: Function
    change: Change | None
    line: int

    @property
    def span(self) -> range:
        """The file lines the mutant rewrites."""
        size = max(len(self.change.original.splitlines()), 1) if self.change else 1
        return range(self.line, self.line + size)


def place(scope: Scope, outcome: Outcome, sources: Mapping[str, list[str]]) -> list[Placed]:
    """Every tested mutant at its file line (the function's first line without a diff)."""
    functions = {function.mangled: function for function in scope.functions}
    placed: list[Placed] = []
    for mutant in outcome.mutants:
        if mutant.name in outcome.untested:
            continue
        function = functions[mutant.function]
        diff = outcome.diffs.get(mutant.name)
        change = parse(diff) if diff else None
        line = function.start
        if change is not None:
            line = locate(sources.get(function.path, []), function.start, function.end, change)
        placed.append(Placed(mutant, function, change, line))
    return placed


def on_changed_lines(
    scope: Scope, sources: Mapping[str, list[str]], touched: Mapping[str, Iterable[int]]
) -> Callable[[Mapping[str, str]], set[str]]:
    """The runner's ``first``: from every mutant's diff, the names on the changed lines."""
    functions = {function.mangled: function for function in scope.functions}

    def first(diffs: Mapping[str, str]) -> set[str]:
        outcome = Outcome("", diffs=dict(diffs))
        outcome.mutants = [
            r.Mutant(name, functions[name.partition("__mutmut_")[0]].path, None)
            for name in diffs
            if name.partition("__mutmut_")[0] in functions
        ]
        return split(place(scope, outcome, sources), touched, every=True)[0]

    return first


def split(
    placed: Iterable[Placed], touched: Mapping[str, Iterable[int]], *, every: bool = False
) -> tuple[set[str], list[Placed]]:
    """The names on changed lines, and the survivors elsewhere (to compare with the baseline;
    ``every``: all the others, whatever their status)."""
    lines = {path: set(numbers) for path, numbers in touched.items()}
    inside: set[str] = set()
    outside: list[Placed] = []
    for item in placed:
        if item.change is not None and lines.get(item.function.path, set()) & set(item.span):
            inside.add(item.mutant.name)
        elif every or item.mutant.status in SURVIVING:
            outside.append(item)
    return inside, outside


def focus(
    inside: set[str], survivors: list[Placed], twins: Mapping[str, str], notes: list[str]
) -> Focus:
    """The focus, from the statuses of the survivors' twins on the baseline.

    A survivor on a changed line has a twin only when its line is on the baseline as it is
    (moved code: a refactor that moves a function's body): surviving there too, it is old debt
    like one elsewhere. A line the change wrote has no twin and stays counted.
    """
    counted, regressions = set(inside), set()
    debt: list[str] = []
    unresolved: list[str] = []
    for item in survivors:
        name, status = item.mutant.name, twins.get(item.mutant.name, UNTESTED)
        if status in SURVIVING:
            debt.append(name)
            counted.discard(name)
        elif status == UNTESTED:
            if name not in inside:
                unresolved.append(name)
        else:  # killed on the baseline, or new with the change: judged like changed code
            counted.add(name)
            if status == r.KILLED:
                regressions.add(name)
    return Focus(
        frozenset(counted), frozenset(regressions), tuple(debt), tuple(unresolved), tuple(notes)
    )


def _row(item: Placed) -> tuple[str, ...]:
    original, mutated = (item.change.original, item.change.mutated) if item.change else ("", "")
    return (
        f"{item.function.path}:{item.line}",
        item.mutant.status,
        item.function.dotted,
        original.replace("\n", " ⏎ "),
        mutated.replace("\n", " ⏎ "),
    )


def report(focus_: Focus, placed: Iterable[Placed]) -> tuple[list[Finding], list[Table]]:
    """The old debt (info, with a count and a table) and what was not compared (warning)."""
    by_name = {item.mutant.name: item for item in placed}
    findings: list[Finding] = []
    tables: list[Table] = []
    if focus_.debt:
        debt = [by_name[name] for name in focus_.debt]
        findings.append(
            Finding(
                f"old debt: {len(debt)} surviving mutant(s) on lines the change left alone "
                "(or moved) also survive on the baseline; they are listed, not judged "
                "(table 'old debt')",
                severity="info",
                rule_id="mutant-old-debt",
            )
        )
        columns = ("location", "status", "function", "original", "mutated")
        tables.append(Table("old debt", columns, tuple(_row(item) for item in debt)))
    if focus_.unresolved:
        shown = [by_name[name] for name in focus_.unresolved]
        where = ", ".join(f"{item.function.path}:{item.line}" for item in shown[:10])
        findings.append(
            Finding(
                f"{len(shown)} surviving mutant(s) outside the changed lines were not compared "
                f"with the baseline, so they are not judged: {where}",
                severity="warning",
                rule_id="mutant-not-compared",
            )
        )
    findings += [
        Finding(note, severity="warning", rule_id="mutant-not-compared") for note in focus_.notes
    ]
    return findings, tables
