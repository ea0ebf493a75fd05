"""From mutmut's results to the gate's verdict: score, accepted survivors, findings.

- error: mutmut could not judge (the tests fail, no test calls a mutated function, a result is
  suspicious, interrupted or a crash): such a run says nothing about the tests' strength;
- fail: the score (killed / (killed + survived + timeout), accepted survivors left out) is below
  the threshold, or an accepted-survivor entry has expired;
- pass otherwise. Each surviving mutant is a finding at its ``path:line`` with its diff.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from quality_gates.mutation import results as r
from quality_gates.mutation.focus import Focus
from quality_gates.mutation.locate import Change, locate, parse
from quality_gates.mutation.runner import Outcome
from quality_gates.mutation.scope import Function, Scope
from quality_gates.mutation.survivors import Accepted
from quality_gates.result import Finding, MetricValue, Severity, Status, Table

_JUDGED_LATER = (r.SURVIVED, r.TIMEOUT)  # may be accepted by the survivors file


@dataclass
class Verdict:
    """Everything a ``GateResult`` needs but the gate's name."""

    status: Status
    summary: str = ""
    reason: str = ""
    findings: list[Finding] = field(default_factory=list)
    metrics: dict[str, MetricValue] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class Rules:
    """The policy's part of the verdict."""

    threshold: float
    survivors_file: str
    seed: int
    budget: float
    today: dt.date


def _short(name: str) -> str:
    return "mutmut_" + name.rpartition("__mutmut_")[2]


def _message(word: str, function: Function, name: str, change: Change | None) -> str:
    text = f"{word}: {function.qualname} ({_short(name)})"
    return text + "".join(f"\n        {line}" for line in change.lines) if change else text


def judge(
    scope: Scope,
    outcome: Outcome,
    accepted: list[Accepted],
    sources: Mapping[str, list[str]],
    rules: Rules,
    *,
    focus: Focus | None = None,
) -> Verdict:
    """The verdict on ``outcome``; ``sources`` holds each scope file's lines.

    With a ``focus`` (judging the change) only its counted mutants make the score and the
    survivor findings; a regression (killed on the baseline, surviving now) fails outright.
    """
    functions = {function.mangled: function for function in scope.functions}
    tested = [m for m in outcome.mutants if m.name not in outcome.untested]
    counted = tested if focus is None else [m for m in tested if m.name in focus.counted]
    changes = {n: parse(d) for n, d in outcome.diffs.items()}
    live = [entry for entry in accepted if not entry.expired(rules.today)]
    accepting: dict[str, Accepted] = {}
    for mutant in tested:
        function, change = functions[mutant.function], changes.get(mutant.name)
        original, mutated = (change.original, change.mutated) if change else ("", "")
        entry = next(
            (e for e in live if e.matches(mutant.name, function.dotted, original, mutated)), None
        )
        if mutant.status in _JUDGED_LATER and entry is not None:
            accepting[mutant.name] = entry
    score = r.count(counted, set(accepting))
    expired = [entry for entry in accepted if entry.expired(rules.today)]
    below = score.percent is not None and score.percent < rules.threshold
    regressions = sorted((focus.regressions if focus else set()) - set(accepting))
    failing = below or bool(expired) or bool(regressions)
    judged = {m.name for m in counted}
    verdict = Verdict("pass")
    rows: list[tuple[str, ...]] = []
    for mutant in tested:
        function, change = functions[mutant.function], changes.get(mutant.name)
        line = function.start
        if change is not None:
            line = locate(sources.get(function.path, []), function.start, function.end, change)
        if mutant.name in accepting:
            entry = accepting[mutant.name]
            verdict.findings.append(
                Finding(
                    f"accepted until {entry.expires} ({entry.reason}): "
                    + _message(mutant.status, function, mutant.name, change),
                    function.path,
                    line,
                    "info",
                    "survivor-accepted",
                )
            )
        elif mutant.status in _JUDGED_LATER and mutant.name not in judged:
            continue  # old debt, or not compared with the baseline: the focus reports it
        elif mutant.status in _JUDGED_LATER or mutant.status in r.ERROR_STATUSES[1:]:
            severity: Severity = (
                "error" if failing or mutant.status in r.ERROR_STATUSES else "warning"
            )
            rule = "mutant-" + mutant.status.replace(" ", "-")
            message = _message(mutant.status, function, mutant.name, change)
            if mutant.name in regressions:
                message = f"killed on the baseline, {message} since this change"
            verdict.findings.append(Finding(message, function.path, line, severity, rule))
            if mutant.status in _JUDGED_LATER:
                rows.append(
                    (
                        f"{function.path}:{line}",
                        mutant.status,
                        function.dotted,
                        (change.original if change else "").replace("\n", " ⏎ "),
                        (change.mutated if change else "").replace("\n", " ⏎ "),
                    )
                )
    _unjudged(tested, functions, verdict)
    _entries(
        accepted=accepted,
        expired=expired,
        accepting=accepting,
        tested=tested,
        functions=functions,
        rules=rules,
        verdict=verdict,
    )
    _notes(outcome, score, rules, verdict)
    if rows:
        columns = ("location", "status", "function", "original", "mutated")
        verdict.tables.append(Table("surviving mutants", columns, tuple(rows)))
    _status(
        outcome=outcome,
        tested=tested,
        score=score,
        accepting=accepting,
        expired=expired,
        below=below,
        regressed=len(regressions),
        rules=rules,
        verdict=verdict,
    )
    return verdict


def _unjudged(tested: list[r.Mutant], functions: Mapping[str, Function], verdict: Verdict) -> None:
    # One finding per function: its mutants share the one cause.
    for status, rule, text in (
        (
            r.NO_TESTS,
            "mutant-no-tests",
            "no test calls {name}: its {number} mutant(s) cannot be judged (add a test, or "
            "exclude the code with `# pragma: no mutate`)",
        ),
        (
            r.NOT_CHECKED,
            "mutant-not-checked",
            "mutmut did not run {number} mutant(s) of {name} (see its output below)",
        ),
    ):
        found = Counter(m.function for m in tested if m.status == status)
        for mangled, number in sorted(found.items()):
            function = functions[mangled]
            message = text.format(name=function.qualname, number=number)
            verdict.findings.append(Finding(message, function.path, function.start, "error", rule))


def _entries(
    *,
    accepted: list[Accepted],
    expired: list[Accepted],
    accepting: Mapping[str, Accepted],
    tested: list[r.Mutant],
    functions: Mapping[str, Function],
    rules: Rules,
    verdict: Verdict,
) -> None:
    used = {entry.index for entry in accepting.values()}
    for entry in accepted:
        if entry in expired:
            message = (
                f"{entry.label} expired on {entry.expires}: kill the mutant or renew the entry"
            )
            verdict.findings.append(
                Finding(message, rules.survivors_file, None, "error", "survivor-expired")
            )
        elif entry.index not in used and any(
            entry.covers(m.name, functions[m.function].dotted) for m in tested
        ):
            message = f"{entry.label} matches no surviving mutant: delete it"
            verdict.findings.append(
                Finding(message, rules.survivors_file, None, "warning", "survivor-unused")
            )


def _sample(outcome: Outcome) -> tuple[int, int]:
    """How many mutants with tests ran, of how many (no-test ones always run: they are free)."""
    population = sum(m.status != r.NO_TESTS for m in outcome.mutants)
    return population - len(outcome.untested), population


def _notes(outcome: Outcome, score: r.Score, rules: Rules, verdict: Verdict) -> None:
    if outcome.sampled:
        ran, population = _sample(outcome)
        # mutmut runs the cheapest mutants of a round first: an interrupted round skews.
        cut = ", cut short at the deadline" if outcome.cut_short else ""
        low, high = r.interval(score, population)
        verdict.findings.append(
            Finding(
                f"time budget of {rules.budget:g} s reached: {ran} of {population} mutants "
                f"with tests were run, a random sample (seed {rules.seed}){cut}; the score is "
                f"an estimate, 95% interval {low:.1f}-{high:.1f}%",
                severity="warning",
                rule_id="sampled",
            )
        )
        verdict.metrics.update(score_low=round(low, 2), score_high=round(high, 2))
    verdict.findings += [
        Finding(line, severity="info", rule_id="mutmut-output") for line in outcome.log
    ]


def _status(
    *,
    outcome: Outcome,
    tested: list[r.Mutant],
    score: r.Score,
    accepting: Mapping[str, Accepted],
    expired: list[Accepted],
    below: bool,
    regressed: int,
    rules: Rules,
    verdict: Verdict,
) -> None:
    tally = Counter(m.status for m in tested)
    verdict.metrics.update(
        mutants=len(outcome.mutants),
        mutants_tested=len(tested),
        functions=len({m.function for m in outcome.mutants}),
        killed=score.killed,
        survived=score.survived,
        timeout=score.timeout,
        accepted=len(accepting),
        no_tests=tally[r.NO_TESTS],
        suspicious=tally[r.SUSPICIOUS] + tally[r.SEGFAULT],
        interrupted=tally[r.INTERRUPTED],
        sampled=int(outcome.sampled),
        seconds=round(outcome.seconds, 1),
        prepare_seconds=round(outcome.prepare_seconds, 1),
        rounds=outcome.rounds,
        mutmut=outcome.version,
    )
    if score.percent is not None:
        verdict.metrics["score"] = round(score.percent, 2)
    counts = f"{score.killed} killed, {score.survived} survived, {score.timeout} timeout"
    if accepting:
        counts += f", {len(accepting)} accepted"
    sample = ", {} of {} sampled".format(*_sample(outcome)) if outcome.sampled else ""
    if score.percent is None:
        verdict.summary = f"no mutant left to judge ({counts}{sample})"
    else:
        relation = "<" if below else ">="
        verdict.summary = (
            f"score {score.percent:.2f}% {relation} {rules.threshold:g}% ({counts}{sample})"
        )
    if regressed:
        verdict.summary += f"; {regressed} survivor(s) that the baseline's tests killed"
    if expired:
        verdict.summary += (
            f"; {len(expired)} expired survivor entr{'y' if len(expired) == 1 else 'ies'}"
        )
    unjudged = Counter(
        m.status for m in tested if m.status in r.ERROR_STATUSES or m.status == r.NOT_CHECKED
    )
    if outcome.failure:
        verdict.status, verdict.reason = "error", outcome.failure
    elif unjudged:
        parts = ", ".join(f"{number} {status}" for status, number in sorted(unjudged.items()))
        verdict.status = "error"
        verdict.reason = (
            f"{sum(unjudged.values())} mutant(s) could not be judged ({parts}); {verdict.summary}"
        )
    elif below or expired or regressed:
        verdict.status = "fail"
