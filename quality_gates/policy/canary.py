"""``[tool.quality_gates.canary]``: the deploy-time monitor; docs/replay.md explains each key."""

from __future__ import annotations

from dataclasses import dataclass

from quality_gates import validate as v
from quality_gates.policy import converters as c
from quality_gates.policy.setting import Alias, setting


def _url(flag: str, help_text: str, old: str = "") -> str:
    aliases = (Alias(old),) if old else ()
    return setting(  # type: ignore[no-any-return]
        "", c.http_url, help_text, flag=flag, metavar="URL", aliases=aliases
    )


def _number(default: float, convert: v.Converter, help_text: str, old: str) -> float:
    aliases = (Alias(old),)
    return setting(  # type: ignore[no-any-return]
        default, convert, help_text, flag=None, metavar="N", read=float, aliases=aliases
    )


@dataclass(frozen=True)
class CanaryPolicy:
    """``[tool.quality_gates.canary]``."""

    baseline_url: str = _url("--baseline-url", "the baseline's base URL (its /metrics)")
    canary_url: str = _url("--canary-url", "the canary's base URL (its /metrics)", "--canary")
    prometheus_url: str = _url(
        "--prometheus-url", "read both versions from this Prometheus", "--prometheus"
    )
    baseline_selector: str = setting(
        "",
        c.selector,
        "PromQL matchers of the baseline",
        flag="--baseline-selector",
        metavar="MATCHERS",
    )
    canary_selector: str = setting(
        "", c.selector, "PromQL matchers of the canary", flag=None, metavar="MATCHERS"
    )
    # Required when the gate watches: the framework knows no service's metric names.
    metric: str = setting(
        "",
        c.metric_name,
        "the login counter to follow, labelled by outcome (required to watch)",
        flag=None,
        metavar="NAME",
        aliases=(Alias("--metric"),),
    )
    outcome_label: str = setting("outcome", c.label_name, "the counter's outcome label")
    success_outcomes: tuple[str, ...] = setting(
        ("success",), v.string_list, "outcomes that succeed"
    )
    error_outcomes: tuple[str, ...] = setting(("error",), v.string_list, "outcomes that are errors")
    ignored_outcomes: tuple[str, ...] = setting(
        ("rate_limited",), v.string_list, "outcomes left out of the rates"
    )
    min_sample: int = setting(
        100,
        c.bounded_int(1, 1_000_000_000),
        "login attempts each version needs",
        flag=None,
        metavar="N",
        read=int,
        aliases=(Alias("--min-sample"),),
    )
    max_drop: float = _number(
        2.0, v.percent, "success-rate drop that rolls back, points", "--max-drop"
    )
    max_error_rate: float = _number(
        1.0, v.percent, "error share that rolls back, %", "--max-error-rate"
    )
    alpha: float = setting(0.05, c.fraction, "significance level of the comparison")
    interval: float = _number(10.0, v.positive_number, "seconds between polls", "--interval")
    duration: float = _number(300.0, v.positive_number, "longest watch, seconds", "--duration")
