"""One mutation run: copy, prepare, test mutants within the time budget, read the results.

1. The work tree is copied to a temporary directory and ``[tool.mutmut]`` generated there.
2. ``mutmut run`` with a name that matches nothing makes mutmut generate the mutants of the
   files in scope and record which tests call each function (and how long each test takes),
   then stop: the gate now knows every mutant's name and roughly what it will cost.
3. The mutants in scope run in rounds, in an order shuffled with the policy's seed. When all of
   them fit in what is left of the budget, there is one round. Otherwise the first round is the
   prefix of that order that fits (at least ``MIN_SAMPLE``), and later rounds take more while
   the measured pace says they fit: what was tested is a uniform random sample, reproducible
   with the seed, and the report says so. A round that overruns the budget (plus a margin) is
   interrupted; mutmut keeps what it finished.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from quality_gates.git import list_files
from quality_gates.mutation import workdir as wd
from quality_gates.mutation.driver import Invocation, Mutmut, mutmut_version
from quality_gates.mutation.progress import Progress
from quality_gates.mutation.results import (
    KILLED,
    NO_TESTS,
    NOT_CHECKED,
    Mutant,
    TestStats,
    natural,
    read_mutants,
    read_stats,
)
from quality_gates.mutation.scope import Scope

MIN_SAMPLE = 20  # mutants tested whatever the budget says, when there are that many
FORK_COST = 0.5  # seconds per mutant besides its tests, until a round measures the pace
_NO_TESTS_CODE = 33  # mutmut's exit code for "no tests"


@dataclass(frozen=True)
class Settings:
    """How to run mutmut."""

    python: str
    tests: tuple[str, ...] = ()
    pytest_args: tuple[str, ...] = ()
    budget: float = 600.0
    seed: int = 0
    max_children: int = 0
    #: Judging the change: given every mutant's diff, the names to run first (the mutants on
    #: the changed lines), so a sample spends the budget on what counts. None: a plain sample.
    first: Callable[[Mapping[str, str]], set[str]] | None = None


@dataclass
class Outcome:
    """What the run found; ``failure`` is set when mutmut could not judge the mutants."""

    version: str
    mutants: list[Mutant] = field(default_factory=list)
    untested: set[str] = field(default_factory=set)  # left out by the time budget
    diffs: dict[str, str] = field(default_factory=dict)
    failure: str = ""
    log: list[str] = field(default_factory=list)
    seconds: float = 0.0
    prepare_seconds: float = 0.0  # generating mutants, finding each function's tests
    rounds: int = 0
    cut_short: bool = False  # a round was interrupted at the deadline

    @property
    def sampled(self) -> bool:
        """Whether the budget left mutants untested."""
        return bool(self.untested)


_FAILURES = (
    ("failed to collect stats", "the tests fail on the unmutated code (mutmut's first run)"),
    ("Failed to run clean test", "the tests fail on the unmutated code in mutmut's copy"),
    ("Failed to collect list of tests", "pytest cannot collect the tests in mutmut's copy"),
    (
        "Unable to force test failures",
        "mutmut could not make any test fail through its trampolines: do the tests import "
        "the code as a package from the repository root?",
    ),
    (
        "none match any mutant key",
        "the tests import the code under another module name than its path gives (a pytest "
        "pythonpath or sys.path change?): import it as a package from the repository root",
    ),
)
_NO_TEST_AT_ALL = "could not find any test case for any mutant"


def _failure(invocation: Invocation) -> str:
    for marker, message in _FAILURES:
        if invocation.says(marker):
            return message
    return f"mutmut stopped with exit status {invocation.returncode}"


def run(
    repo: Path, scope: Scope, settings: Settings, environ: Mapping[str, str], progress: Progress
) -> Outcome:
    """Run mutmut on ``scope`` in a temporary copy of ``repo``; the copy is removed after."""
    started = time.monotonic()
    outcome = Outcome(mutmut_version(settings.python, environ))
    work = Path(tempfile.mkdtemp(prefix="qg-mutation-"))
    try:
        progress.show("copying the repository", force=True)
        wd.copy_tree(repo, list_files(repo), work)
        config = wd.config_for(work, scope.files, settings.tests, settings.pytest_args)
        wd.install_config(work, config)
        session = _Session(Mutmut(settings.python, work, environ, progress), settings, outcome)
        session.deadline = started + settings.budget
        session.hard_deadline = session.deadline + max(30.0, 0.1 * settings.budget)
        session.run(scope)
    finally:
        progress.done()
        shutil.rmtree(work, ignore_errors=True)
        outcome.seconds = time.monotonic() - started
    return outcome


@dataclass
class _Session:
    """One run's mutmut, settings, deadlines and outcome."""

    mutmut: Mutmut
    settings: Settings
    outcome: Outcome
    deadline: float = 0.0
    hard_deadline: float = 0.0

    def run(self, scope: Scope) -> None:
        """Prepare, run the rounds, read the results and the diffs to show."""
        outcome, work = self.outcome, self.mutmut.workdir
        sentinel = scope.functions[0].prefix + "0"  # mutmut numbers from 1: matches nothing
        prepare = self.mutmut.run(
            [sentinel],
            max_children=self.settings.max_children,
            deadline=self.hard_deadline,
            label="preparing",
        )
        outcome.prepare_seconds = prepare.seconds
        wanted = {function.mangled for function in scope.functions}
        mutants = {n: m for n, m in read_mutants(work).items() if m.function in wanted}
        stats = read_stats(work)
        if prepare.stopped:
            outcome.failure = (
                f"preparing took longer than the time budget ({self.settings.budget:g} s)"
            )
        elif prepare.says(_NO_TEST_AT_ALL):  # mutmut stops before recording anything
            ordered = sorted(mutants.values(), key=lambda m: natural(m.name))
            outcome.mutants = [Mutant(m.name, m.path, _NO_TESTS_CODE) for m in ordered]
            return
        elif stats is None:
            outcome.failure = _failure(prepare)
        if outcome.failure or stats is None:
            outcome.log = prepare.lines()
            return
        names = sorted(mutants, key=natural)
        first: set[str] = set()
        if self.settings.first is not None:
            self.mutmut.progress.show(f"reading the diffs of {len(names)} mutants", force=True)
            outcome.diffs = self.mutmut.diffs([mutants[name] for name in names])
            first = self.settings.first(outcome.diffs)
        self.rounds(names, stats, prepare.seconds, first)
        final = read_mutants(work)
        outcome.mutants = [final.get(name, mutants[name]) for name in names]
        if self.settings.first is None:
            shown = [m for m in outcome.mutants if m.status not in (KILLED, NO_TESTS, NOT_CHECKED)]
            self.mutmut.progress.show(f"reading the diffs of {len(shown)} mutants", force=True)
            outcome.diffs = self.mutmut.diffs(shown)

    def rounds(
        self, names: list[str], stats: TestStats, prepare_seconds: float, first: set[str]
    ) -> None:
        """Test ``names`` in rounds, as many as the budget allows (see the module docstring);
        the ``first`` ones lead the shuffled order."""
        settings, outcome = self.settings, self.outcome
        function = {name: name.partition("__mutmut_")[0] for name in names}
        untestable = [n for n in names if not stats.tests_of(function[n])]  # cost nothing
        pending = [n for n in names if stats.tests_of(function[n])]
        random.Random(settings.seed).shuffle(pending)  # noqa: S311 - sampling, not secrecy
        pending.sort(key=lambda name: name not in first)  # stable: each part stays shuffled
        children = settings.max_children or os.cpu_count() or 1
        cost = {n: stats.estimate(function[n]) + FORK_COST for n in pending}
        overhead = 0.75 * prepare_seconds  # listing + clean run + forced fail, until measured
        pace: float | None = None  # seconds per mutant, once measured
        while pending or untestable:
            now = time.monotonic()
            left = self.deadline - now - overhead
            if pace is None:
                take, spent = 0, 0.0
                while take < len(pending) and spent + cost[pending[take]] / children <= left:
                    spent += cost[pending[take]] / children
                    take += 1
                take = max(take, min(MIN_SAMPLE, len(pending)))
            else:
                take = min(len(pending), max(int(left / pace), 0))
                if take < min(5, len(pending)):  # another round would be mostly overhead
                    break
            batch = untestable + pending[:take]
            predicted = overhead + sum(cost[n] for n in pending[:take]) / children
            whole = take == len(pending) and outcome.rounds == 0
            # The first round's minimum sample may not fit at all: it gets twice its estimate.
            stop = self.hard_deadline if pace else max(self.hard_deadline, now + 2 * predicted)
            invocation = self.mutmut.run(
                batch,
                max_children=settings.max_children,
                deadline=stop,
                label="" if whole else f"round {outcome.rounds + 1}",
            )
            outcome.rounds += 1
            untestable, pending = [], pending[take:]
            if invocation.stopped:
                outcome.cut_short = True
                outcome.untested.update(batch)  # the finished ones are taken out below
                break
            if invocation.returncode != 0:
                outcome.failure, outcome.log = _failure(invocation), invocation.lines()
                break
            mutation = invocation.mutation_seconds or max(invocation.seconds - overhead, 0.1)
            overhead = max(invocation.seconds - mutation, 0.0)
            pace = mutation / max(take, 1)
        outcome.untested.update(pending)
        done = {n for n, m in read_mutants(self.mutmut.workdir).items() if m.exit_code is not None}
        outcome.untested -= done
