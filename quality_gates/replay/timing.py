"""Cost and timing regressions: what each request kind costs on both versions, and the oracle.

Two rules, added to the replay's verdict (docs/replay.md, "Cost and timing"):

- **Cost.** Every request both versions answered alike is timed on both, paired (by the
  services' own ``Server-Timing`` figure when the profile names one and both sent it, else by
  the round trip: ``paired_seconds``): the same
  account's request leaves for both versions at the same moment (``pairing``, lock-step), so
  both servers carry the same load and the machine's own load hits both halves alike. Per
  request kind, the statistic is the median of the paired log-ratios
  ``log(candidate / baseline)``; the null hypothesis is that it is at most ``log(allowed)``
  (``1 + max_cost_increase``, or the kind's declared ``cost_budget``), tested one-sided at
  ``ALPHA`` with the sign test: the kind fails when the order statistic that bounds the median
  from below at ``1 - ALPHA`` exceeds it (distribution-free, so skewed latencies and outliers
  do not matter). Under "no change" the bound exceeds even 1 with probability at most
  ``ALPHA``; the 30% margin on top is for what independence of the pairs misses (the pairs of
  one run share its conditions). On an overloaded machine at authsvc's own hashing that margin
  was not always enough: 2 false alarms in 127 A/A runs (docs/benchmarks.md, "Timing rules").
- **Timing oracle.** On each version, logins of unknown accounts against wrong passwords of
  known ones (``probe``), with the conformance suite's two-sided Mann-Whitney U test
  (``quality_gates.stats``). The candidate fails when its p-value is below ``ORACLE_ALPHA``
  (0.1%) while the baseline's is not even below ``CONTROL_ALPHA`` (1%). The conformance
  property also asks for a gap over 20% of one KDF run, so that a consistent sub-millisecond
  difference (one more SQL query) is not called a leak; here the baseline is the control for
  such differences instead. That threshold would hide the bug zoo's case: at its 1 MiB hashing,
  one hash is a few percent of a login, less than the database work the estimate includes.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from quality_gates.replay.client import Result
from quality_gates.replay.counters import Rehashes
from quality_gates.result import Finding, MetricValue, Table
from quality_gates.stats import MannWhitney, mann_whitney_u

#: One-sided error rate of the cost bound.
ALPHA = 0.01
#: The candidate's login times must tell unknown accounts apart at this level to fail...
ORACLE_ALPHA = 0.001
#: ...while the baseline's do not, even at this one.
CONTROL_ALPHA = 0.01
#: Pairs a kind needs before its cost is judged (below, the bound is too loose to mean much).
MIN_PAIRS = 20


#: What a pair or a probe was timed by: the services' own figures, or the client's round trip.
SERVER, ROUND_TRIP = "server", "round trip"


def paired_seconds(base: Result, cand: Result) -> tuple[float, float, str] | None:
    """The two times of a pair and what they measure; ``None`` when a side carries no time.

    The services' ``Server-Timing`` figures when both answers carried one, else both round
    trips: never one of each, which would make the ratio measure the network and the client.
    """
    if base.server_seconds and cand.server_seconds:  # None or 0: no figure
        return base.server_seconds, cand.server_seconds, SERVER
    if base.seconds > 0 and cand.seconds > 0:
        return base.seconds, cand.seconds, ROUND_TRIP
    return None


@dataclass
class CostSamples:
    """Paired request times, per request kind: ``(baseline seconds, candidate seconds)``."""

    pairs: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    #: Per kind, how many of its pairs the services' ``Server-Timing`` figures timed.
    server_timed: dict[str, int] = field(default_factory=dict)

    def add(self, baseline: Mapping[str, Result], candidate: Mapping[str, Result]) -> None:
        """Pair one account's requests; only those both versions answered alike are comparable."""
        for kind, base in baseline.items():
            cand = candidate.get(kind)
            if cand is None or cand.outcome != base.outcome:
                continue  # a refusal before any work costs nothing like a full answer
            timed = paired_seconds(base, cand)
            if timed is None:
                continue  # sent concurrently on purpose (the races), or no answer came
            self.pairs.setdefault(kind, []).append(timed[:2])
            if timed[2] == SERVER:
                self.server_timed[kind] = self.server_timed.get(kind, 0) + 1

    def timed_by(self, kind: str) -> str:
        """What timed ``kind``'s pairs: the server, the round trip, or a mix (with the share)."""
        server, total = self.server_timed.get(kind, 0), len(self.pairs.get(kind, ()))
        if server == total:
            return SERVER
        return ROUND_TRIP if server == 0 else f"server {server}/{total}"


@dataclass(frozen=True)
class OracleSamples:
    """Login times of wrong passwords (known accounts) and of unknown accounts, on one version."""

    known: Sequence[float]
    unknown: Sequence[float]

    def test(self) -> MannWhitney:
        """Two-sided Mann-Whitney U of the unknown-account times against the wrong passwords."""
        return mann_whitney_u(self.unknown, self.known)


@dataclass(frozen=True)
class Oracle:
    """The probe's samples on both versions, and what timed them."""

    baseline: OracleSamples
    candidate: OracleSamples
    measure: str = ROUND_TRIP


def oracle_samples(answers: Mapping[str, Mapping[str, Sequence[Result]]]) -> Oracle:
    """The probe's answers, ``{version: {"known"|"unknown": [Result, …]}}``, as an ``Oracle``.

    Timed by the services' figures only when every answer on both versions carried one: the
    rank test compares the two versions' verdicts, so both must measure the same thing.
    """
    answered = [r for paths in answers.values() for rs in paths.values() for r in rs if r.seconds]
    server = bool(answered) and all(r.server_seconds for r in answered)

    def times(results: Sequence[Result]) -> tuple[float, ...]:
        if server:
            return tuple(r.server_seconds or 0.0 for r in results if r.seconds > 0)
        return tuple(r.seconds for r in results if r.seconds > 0)

    samples = {
        version: OracleSamples(times(paths["known"]), times(paths["unknown"]))
        for version, paths in answers.items()
    }
    return Oracle(samples["baseline"], samples["candidate"], SERVER if server else ROUND_TRIP)


@dataclass(frozen=True)
class CostRatio:
    """The candidate/baseline cost of one request kind."""

    kind: str
    pairs: int
    median_ratio: float
    lower_bound: float
    baseline_median: float
    candidate_median: float


def log_binomial_cdf(k: int, n: int, p: float = 0.5) -> float:
    """log P(B <= k) for B ~ Binomial(n, p), 0 < p < 1, summed in log space (no underflow)."""
    terms = [
        math.lgamma(n + 1)
        - math.lgamma(i + 1)
        - math.lgamma(n - i + 1)
        + i * math.log(p)
        + (n - i) * math.log1p(-p)
        for i in range(k + 1)
    ]
    top = max(terms)
    return top + math.log(sum(math.exp(t - top) for t in terms))


def sign_lower_index(n: int, alpha: float = ALPHA) -> int | None:
    """0-based index of the order statistic that bounds the median from below at ``1 - alpha``.

    ``x_(k+1) > median`` only when at most ``k`` of the ``n`` values fall below the median,
    which has probability ``P(B <= k)``; the largest ``k`` with that below ``alpha`` gives the
    tightest bound. ``None`` when ``n`` is too small for any bound at this level.
    """
    if n < 1 or log_binomial_cdf(0, n) > math.log(alpha):
        return None
    low, high = 0, n - 1  # the largest k with P(B <= k) <= alpha: the CDF grows with k
    while low < high:
        mid = (low + high + 1) // 2
        if log_binomial_cdf(mid, n) <= math.log(alpha):
            low = mid
        else:
            high = mid - 1
    return low


def cost_ratio(kind: str, pairs: Sequence[tuple[float, float]]) -> CostRatio | None:
    """Median paired ratio of ``kind`` and its lower bound; ``None`` below ``MIN_PAIRS``."""
    if len(pairs) < MIN_PAIRS:
        return None
    logs = sorted(math.log(cand / base) for base, cand in pairs)
    index = sign_lower_index(len(logs))
    if index is None:
        return None
    return CostRatio(
        kind,
        len(pairs),
        math.exp(statistics.median(logs)),
        math.exp(logs[index]),
        statistics.median(b for b, _ in pairs),
        statistics.median(c for _, c in pairs),
    )


@dataclass(frozen=True)
class TimingRules:
    """What the cost rule tolerates: percent, in general and per declared kind."""

    max_cost_increase: float = 30.0
    cost_budget: Mapping[str, float] = field(default_factory=dict)

    def allowed(self, kind: str) -> float:
        """The largest candidate/baseline ratio ``kind`` may have."""
        return 1 + self.cost_budget.get(kind, self.max_cost_increase) / 100


@dataclass
class TimingJudgement:
    """The timing rules' problems, and what the report shows."""

    problems: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    metrics: dict[str, MetricValue] = field(default_factory=dict)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def judge_costs(costs: CostSamples, rules: TimingRules, judgement: TimingJudgement) -> None:
    """Per request kind: the paired cost ratio, its bound, and a problem when over budget."""
    rows = []
    worst = 0.0
    for kind, pairs in costs.pairs.items():
        ratio = cost_ratio(kind, pairs)
        if ratio is None:
            continue
        allowed = rules.allowed(kind)
        over = ratio.lower_bound > allowed
        worst = max(worst, ratio.lower_bound)
        rows.append(
            (
                kind,
                str(ratio.pairs),
                _ms(ratio.baseline_median),
                _ms(ratio.candidate_median),
                f"{ratio.median_ratio:.2f}",
                f"{ratio.lower_bound:.2f}",
                f"{allowed:.2f}",
                "over" if over else "ok",
                costs.timed_by(kind),
            )
        )
        if over:
            judgement.problems.append(
                f"{kind} costs {ratio.median_ratio:.2f}x the baseline's time (at least "
                f"{ratio.lower_bound:.2f}x at {100 * (1 - ALPHA):.0f}% confidence, "
                f"{ratio.pairs} pairs), over the allowed {allowed:.2f}x"
            )
    if rows:
        columns = ("request", "pairs", "baseline ms", "candidate ms", "ratio", "lower bound")
        judgement.tables.append(
            Table(
                "cost by request kind (median paired ratio candidate/baseline; sign-test bound)",
                (*columns, "allowed", "verdict", "timed by"),
                tuple(rows),
            )
        )
        judgement.metrics["cost_ratio_lower_bound_max"] = round(worst, 3)


def judge_oracle(oracle: Oracle, judgement: TimingJudgement) -> None:
    """Fail when the candidate's timing tells unknown accounts apart and the baseline's does not."""
    tests = {}
    for name, samples in (("baseline", oracle.baseline), ("candidate", oracle.candidate)):
        test = tests[name] = samples.test()
        known, unknown = statistics.median(samples.known), statistics.median(samples.unknown)
        judgement.findings.append(
            Finding(
                f"timing on the {name}: wrong password {_ms(known)} ms, unknown account "
                f"{_ms(unknown)} ms (medians, {oracle.measure} times), Mann-Whitney "
                f"p={test.p_two_sided:.4f}, n={len(samples.known)}/{len(samples.unknown)}",
                severity="info",
                rule_id="timing",
            )
        )
        judgement.metrics[f"oracle_p_{name}"] = round(test.p_two_sided, 6)
    if (
        tests["candidate"].p_two_sided < ORACLE_ALPHA
        and tests["baseline"].p_two_sided >= CONTROL_ALPHA
    ):
        cand = oracle.candidate
        judgement.problems.append(
            f"timing oracle: an unknown account's login takes "
            f"{_ms(statistics.median(cand.unknown))} ms against "
            f"{_ms(statistics.median(cand.known))} ms for a wrong password on the candidate "
            f"(p={tests['candidate'].p_two_sided:.2g}); the baseline's were indistinguishable"
        )


def judge_rehashes(rehashes: Rehashes, judgement: TimingJudgement) -> None:
    """The rehash counter rule (``counters.Rehashes``), and both counts for the report."""
    judgement.metrics["rehashes_baseline"] = rehashes.baseline
    judgement.metrics["rehashes_candidate"] = rehashes.candidate
    if problem := rehashes.problem():
        judgement.problems.append(problem)


def check_server_metric(costs: CostSamples, metric: str, judgement: TimingJudgement) -> None:
    """Warn when the profile names a ``Server-Timing`` metric that no pair was timed by.

    Then every pair fell back to the round trip: the target does not send the header (a setting
    left off, another metric name), or one version does not and the other does.
    """
    if metric and costs.pairs and not costs.server_timed:
        judgement.findings.append(
            Finding(
                f"the profile's [timing] server_metric is {metric!r}, but no request was "
                "answered with it by both versions: every cost was timed by the round trip",
                severity="warning",
                rule_id="timing",
            )
        )


def judge_timing(
    costs: CostSamples,
    oracle: Oracle | None,
    rules: TimingRules,
    rehashes: Rehashes | None = None,
    *,
    server_metric: str = "",
) -> TimingJudgement:
    """The timing and counter rules on a finished replay."""
    judgement = TimingJudgement()
    judge_costs(costs, rules, judgement)
    check_server_metric(costs, server_metric, judgement)
    if oracle is not None:
        judge_oracle(oracle, judgement)
    if rehashes is not None:
        judge_rehashes(rehashes, judgement)
    judgement.findings[:0] = [
        Finding(p, severity="error", rule_id="timing-verdict") for p in judgement.problems
    ]
    return judgement
