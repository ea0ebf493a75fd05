"""The canary gate: watch both versions' login outcomes, then promote, roll back or wait.

``quality-gates canary watch --baseline URL --canary URL`` polls both ``/metrics`` every
``interval`` seconds for at most ``duration`` seconds, follows the login counter by outcome
(``authsvc_login_attempts_total{outcome}`` by default) from the first scrape on, and stops early
on a significant regression. Exit codes: 0 promote, 1 roll back, 4 inconclusive (too few
attempts, a drop that is not significant, the metric missing), 2 bad input, 3 internal error.
Inside ``run``, inconclusive is a skipped gate (with its reason), never a pass.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from quality_gates import validate as v
from quality_gates.canary.decision import Criteria, Decision, Sample, decide
from quality_gates.canary.metrics import CounterTrack, ScrapeError, scrape
from quality_gates.context import GateContext
from quality_gates.errors import InputError
from quality_gates.policy import override_dest
from quality_gates.policy_deploy import CanaryPolicy, bounded_int, http_url
from quality_gates.result import GateResult, MetricValue

NAME = "canary"
HELP = "canary monitor: compare login outcomes of a canary and the baseline; promote or roll back"
EXIT_INCONCLUSIVE = 4
#: Consecutive failed scrapes of the canary that mean it is down: roll back.
MAX_SCRAPE_FAILURES = 3


def add_arguments(parser: argparse._ActionsContainer) -> None:
    """Options usable in ``run`` and ``canary`` (policy keys under ``canary.``)."""
    for flag, key, meta, text in (
        ("--baseline-url", "baseline_url", "URL", "the baseline's base URL (its /metrics)"),
        ("--canary-url", "canary_url", "URL", "the canary's base URL (its /metrics)"),
    ):
        parser.add_argument(
            flag,
            metavar=meta,
            dest=override_dest(f"canary.{key}"),
            type=v.argument(http_url, str),
            default=None,
            help=text,
        )
    for flag, key, text in (
        ("--interval", "interval", "seconds between polls (default 10)"),
        ("--duration", "duration", "longest watch, seconds (default 300)"),
        ("--max-drop", "max_drop", "success-rate drop that rolls back, points (default 2)"),
        ("--max-error-rate", "max_error_rate", "error share that rolls back, %% (default 1)"),
    ):
        parser.add_argument(
            flag,
            metavar="N",
            dest=override_dest(f"canary.{key}"),
            type=v.argument(v.positive_number if key in ("interval", "duration") else v.percent),
            default=None,
            help=text,
        )
    parser.add_argument(
        "--min-sample",
        metavar="N",
        dest=override_dest("canary.min_sample"),
        type=v.argument(bounded_int(1, 1_000_000_000), int),
        default=None,
        help="login attempts each version needs (default 100)",
    )
    parser.add_argument(
        "--metric",
        metavar="NAME",
        dest=override_dest("canary.metric"),
        default=None,
        help="counter to follow (default authsvc_login_attempts_total)",
    )


def add_subcommands(
    parser: argparse.ArgumentParser, add_globals: Callable[[argparse.ArgumentParser], None]
) -> None:
    """``canary watch --baseline URL --canary URL`` (the short spellings of the URL options)."""
    actions = parser.add_subparsers(dest="canary_action", metavar="ACTION")
    watch = actions.add_parser(
        "watch", help="poll both /metrics and decide", conflict_handler="resolve"
    )
    add_globals(watch)
    add_arguments(watch.add_argument_group("canary options"))
    # Here --baseline is the baseline's URL, not a git ref: "resolve" takes the name over.
    watch.add_argument(
        "--baseline",
        metavar="URL",
        dest=override_dest("canary.baseline_url"),
        type=v.argument(http_url, str),
        default=None,
        help="the baseline's base URL",
    )
    watch.add_argument(
        "--canary",
        metavar="URL",
        dest=override_dest("canary.canary_url"),
        type=v.argument(http_url, str),
        default=None,
        help="the canary's base URL",
    )


def exit_code(result: GateResult, default: int) -> int:
    """The documented canary exit codes: inconclusive is 4, not "skipped = 0"."""
    if result.status == "skipped" and result.metrics.get("decision") == "inconclusive":
        return EXIT_INCONCLUSIVE
    return default


@dataclass
class _Side:
    url: str
    track: CounterTrack = field(default_factory=CounterTrack)
    failures: int = 0
    missing: bool = False
    error: str = ""


def _poll(client: httpx.Client, side: _Side, policy: CanaryPolicy) -> None:
    try:
        counts = scrape(client, side.url, policy.metric, policy.outcome_label)
    except ScrapeError as exc:
        side.failures, side.error = side.failures + 1, str(exc)
        return
    side.failures, side.missing = 0, counts is None
    if counts is not None:
        side.track.observe(counts)


def watch(
    policy: CanaryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    status: Callable[[str], None] = lambda _: None,
) -> tuple[Decision, Sample, Sample, int]:
    """Poll until a decision; returns it with both samples and the number of polls."""
    criteria = Criteria(
        policy.min_sample,
        policy.max_drop,
        policy.max_error_rate,
        policy.alpha,
        policy.success_outcomes,
        policy.error_outcomes,
        policy.ignored_outcomes,
    )
    canary, baseline = _Side(policy.canary_url), _Side(policy.baseline_url)
    started = time.monotonic()
    polls = 0
    with httpx.Client(timeout=min(policy.interval, 10.0), trust_env=False) as client:
        while True:
            _poll(client, canary, policy)
            _poll(client, baseline, policy)
            polls += 1
            c_sample = Sample.from_counts(canary.track.total, criteria)
            b_sample = Sample.from_counts(baseline.track.total, criteria)
            final = time.monotonic() - started + policy.interval > policy.duration
            if canary.failures >= MAX_SCRAPE_FAILURES:
                down = f"the canary's metrics did not answer {canary.failures} times in a row"
                return (
                    Decision("rollback", f"{down}: {canary.error}"),
                    c_sample,
                    b_sample,
                    polls,
                )
            decision = decide(c_sample, b_sample, criteria, final=final)
            if final and (canary.missing or baseline.missing):
                which = "canary" if canary.missing else "baseline"
                decision = Decision(
                    "inconclusive", f"metric {policy.metric} not found on the {which}"
                )
            elif final and baseline.failures:
                decision = Decision(
                    "inconclusive", f"the baseline's metrics did not answer: {baseline.error}"
                )
            status(
                f"canary: {time.monotonic() - started:.0f}/{policy.duration:.0f}s {decision.reason}"
            )
            if decision.kind != "continue":
                return decision, c_sample, b_sample, polls
            sleep(policy.interval)


def run(ctx: GateContext) -> GateResult:
    """Watch, then promote (pass), roll back (fail) or report inconclusive (skipped)."""
    policy = ctx.policy.canary
    if not policy.baseline_url or not policy.canary_url:
        if getattr(ctx.args, "canary_action", None) == "watch":
            raise InputError("canary watch needs --baseline URL and --canary URL")
        return GateResult(
            NAME, "skipped", reason="no canary to watch (--baseline-url and --canary-url)"
        )
    interactive = sys.stderr.isatty() and not ctx.environ.get("CI")

    def status(line: str) -> None:
        if interactive:
            sys.stderr.write(f"\r\033[K{line[:150]}")
            sys.stderr.flush()

    decision, canary, baseline, polls = watch(policy, status=status)
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
        return GateResult(NAME, "fail", summary=f"roll back: {decision.reason}", metrics=metrics)
    return GateResult(NAME, "skipped", reason=f"inconclusive: {decision.reason}", metrics=metrics)
