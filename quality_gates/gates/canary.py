"""The canary gate: watch both versions' login outcomes, then promote, roll back or wait.

Two ways to read the login counter (policy key ``metric``, by ``outcome_label``):

- direct: ``canary watch --baseline-url URL --canary-url URL`` scrapes both versions'
  ``/metrics``;
- Prometheus: ``canary watch --prometheus-url URL --baseline-selector '{...}' --canary-selector
  '{...}'`` asks Prometheus's query API for ``METRIC{selector}`` of each version (every replica).

Either way it polls every ``interval`` seconds for at most ``duration`` seconds, follows the
counter from the first reading on, and stops early on a significant regression. Exit codes: 0
promote, 1 roll back, 4 inconclusive (too few attempts, a drop that is not significant, no such
metric or series), 2 bad input (including Prometheus not answering or refusing the query), 3
internal error. Inside ``run``, inconclusive is a skipped gate (with its reason), never a pass.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import httpx

from quality_gates.canary.decision import Criteria
from quality_gates.canary.metrics import scrape
from quality_gates.canary.prometheus import Groups, query, query_text
from quality_gates.canary.watch import Side, Timing, watch
from quality_gates.context import AddOptions, GateContext
from quality_gates.errors import InputError
from quality_gates.policy import CanaryPolicy
from quality_gates.result import GateResult, MetricValue

NAME = "canary"
HELP = "canary monitor: compare login outcomes of a canary and the baseline; promote or roll back"
SECTIONS: tuple[str, ...] = ("canary",)
EXIT_INCONCLUSIVE = 4
NEEDS = (
    "canary watch needs --baseline-url URL and --canary-url URL, "
    "or --prometheus-url URL with --baseline-selector and --canary-selector"
)


OPTIONS: tuple[AddOptions, ...] = ()


def add_subcommands(
    parser: argparse.ArgumentParser, add_common: Callable[[argparse.ArgumentParser], None]
) -> None:
    """``canary watch``: watch now, and say so when there is nothing to watch."""
    # No abbreviations: an option after ``watch`` must reach ``watch``, never match a longer
    # flag of this parser.
    parser.allow_abbrev = False
    actions = parser.add_subparsers(dest="canary_action", metavar="ACTION")
    watch = actions.add_parser("watch", help="poll both versions and decide")
    add_common(watch)


def exit_code(result: GateResult, default: int) -> int:
    """The documented canary exit codes: inconclusive is 4, not "skipped = 0"."""
    if result.status == "skipped" and result.metrics.get("decision") == "inconclusive":
        return EXIT_INCONCLUSIVE
    return default


def _sides(policy: CanaryPolicy) -> tuple[Side, Side]:
    """The canary and the baseline, read from Prometheus or from their own ``/metrics``."""
    metric, label = policy.metric, policy.outcome_label

    def from_prometheus(matchers: str, name: str) -> Side:
        promql = query_text(metric, matchers)
        return Side(
            lambda client: query(client, policy.prometheus_url, promql, label),
            f"no series match {promql} in Prometheus (the {name})",
        )

    def from_metrics(url: str, name: str) -> Side:
        def read(client: httpx.Client) -> Groups | None:
            counts = scrape(client, url, metric, label)
            return None if counts is None else {"": counts}

        return Side(read, f"metric {metric} not found on the {name}")

    if policy.prometheus_url:
        return (
            from_prometheus(policy.canary_selector, "canary"),
            from_prometheus(policy.baseline_selector, "baseline"),
        )
    return from_metrics(policy.canary_url, "canary"), from_metrics(policy.baseline_url, "baseline")


def _criteria(policy: CanaryPolicy) -> Criteria:
    return Criteria(
        policy.min_sample,
        policy.max_drop,
        policy.max_error_rate,
        policy.alpha,
        policy.success_outcomes,
        policy.error_outcomes,
        policy.ignored_outcomes,
    )


def _check(policy: CanaryPolicy) -> None:
    """Bad combinations of the canary's keys, said in one line each."""
    direct = bool(policy.baseline_url or policy.canary_url)
    if direct and policy.prometheus_url:
        raise InputError(
            "canary: give either --baseline-url/--canary-url (/metrics) or --prometheus-url, "
            "not both"
        )
    if policy.prometheus_url and not (policy.baseline_selector and policy.canary_selector):
        raise InputError(
            "canary: --prometheus-url needs --baseline-selector and --canary-selector "
            '(PromQL matchers such as {track="canary"})'
        )
    if not policy.metric:
        raise InputError(
            "canary: no counter to follow: set [tool.quality_gates.canary] metric or "
            "--canary-metric (the login attempts counter, labelled by outcome)"
        )


def run(ctx: GateContext) -> GateResult:
    """Watch, then promote (pass), roll back (fail) or report inconclusive (skipped)."""
    policy = ctx.policy.canary
    configured = (policy.baseline_url and policy.canary_url) or policy.prometheus_url
    if not configured:
        if ctx.inputs.watch:
            raise InputError(NEEDS)
        return GateResult(
            NAME,
            "skipped",
            reason="no canary to watch (--baseline-url and --canary-url, or --prometheus-url)",
        )
    _check(policy)
    interactive = sys.stderr.isatty() and not ctx.environ.get("CI")

    def status(line: str) -> None:
        if interactive:
            sys.stderr.write(f"\r\033[K{line[:150]}")
            sys.stderr.flush()

    canary_side, baseline_side = _sides(policy)
    timing = Timing(policy.interval, policy.duration, shared_source=bool(policy.prometheus_url))
    decision, canary, baseline, polls = watch(
        canary_side, baseline_side, _criteria(policy), timing, status=status
    )
    if interactive:
        sys.stderr.write("\r\033[K")
    metrics: dict[str, MetricValue] = {
        "decision": decision.kind,
        "canary_attempts": round(canary.attempts),
        "baseline_attempts": round(baseline.attempts),
        "canary_success_rate": round(canary.success_rate, 2),
        "baseline_success_rate": round(baseline.success_rate, 2),
        "canary_error_rate": round(canary.error_rate, 2),
        "p_value": round(decision.p_value, 6),
        "polls": polls,
    }
    if decision.kind == "promote":
        return GateResult(NAME, "pass", summary=f"promote: {decision.reason}", metrics=metrics)
    if decision.kind == "rollback":
        hurt = (
            f"the canary lets {canary.success_rate:.1f}% of logins in, the baseline "
            f"{baseline.success_rate:.1f}%"
        )
        return GateResult(
            NAME, "fail", summary=f"roll back: {decision.reason}", metrics=metrics, impact=hurt
        )
    return GateResult(NAME, "skipped", reason=f"inconclusive: {decision.reason}", metrics=metrics)
