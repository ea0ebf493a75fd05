"""Policy sections of the deploy-time gates: ``[tool.quality_gates.replay]`` and ``.canary``.

Kept beside ``policy.py`` (which registers them) so each module stays one concern. The same
validation style: one converter per key, every problem reported with its key path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from quality_gates import validate as v
from quality_gates.replay.segments import DEFAULT_SHARES

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
_SELECTOR = re.compile(r"\{[^{}\n]*\}\Z")


#: The ``TZ`` both versions run under: a fixed offset east of UTC and not a whole hour, so
#: naive local times (tokens born in the future, locks that end early) show up in the
#: replay. A POSIX string, so it needs no time zone database on the machine.
DEFAULT_TIMEZONE = "<+0545>-5:45"
# A POSIX rule or a zone name: no spaces, quotes or shell characters.
_TZ_VALUE = re.compile(r"[A-Za-z0-9:<>+\-_/]{1,64}\Z")


@dataclass(frozen=True)
class ReplayPolicy:
    """``[tool.quality_gates.replay]``; docs/replay.md explains each key."""

    profile: str = ""
    baseline: str = ""
    paths: tuple[str, ...] = ()
    accounts: int = 1000
    seed: int = 0
    segments: tuple[tuple[str, float], ...] = ()
    threshold: int = 0
    segment_tolerance: float = 0.0
    database: str = "sqlite"
    postgres_dsn: str = ""
    env: tuple[tuple[str, str], ...] = ()
    legacy_costs: str = "historical"
    timezone: str = DEFAULT_TIMEZONE
    concurrency: int = 4
    timeout: float = 1800.0
    cache_dir: str = ""
    mode: str = "ab"
    races: float = 10.0
    clock_skew: int = -20


@dataclass(frozen=True)
class CanaryPolicy:
    """``[tool.quality_gates.canary]``; docs/replay.md explains each key."""

    baseline_url: str = ""
    canary_url: str = ""
    prometheus_url: str = ""
    baseline_selector: str = ""
    canary_selector: str = ""
    # No default: the framework knows no service's metric names (this repository sets it).
    metric: str = ""
    outcome_label: str = "outcome"
    success_outcomes: tuple[str, ...] = ("success",)
    error_outcomes: tuple[str, ...] = ("error",)
    ignored_outcomes: tuple[str, ...] = ("rate_limited",)
    min_sample: int = 100
    max_drop: float = 2.0
    max_error_rate: float = 1.0
    alpha: float = 0.05
    interval: float = 10.0
    duration: float = 300.0


def bounded_int(low: int, high: int) -> v.Converter:
    """An integer from ``low`` to ``high``."""

    def convert(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise v.Invalid(f"an integer {low}-{high}")
        return value

    return convert


def shares(value: object) -> tuple[tuple[str, float], ...]:
    """A table of segment name -> share (a number >= 0); unknown names get a hint."""
    if not isinstance(value, Mapping):
        raise v.Invalid("a table of segment = share")
    pairs: list[tuple[str, float]] = []
    for name, share in value.items():
        if name not in DEFAULT_SHARES:
            hint = v.unknown_key("", name, list(DEFAULT_SHARES)).removeprefix(".")
            raise v.Invalid(hint.replace("unknown key", "unknown segment"), show_value=False)
        if isinstance(share, bool) or not isinstance(share, int | float) or not share >= 0:
            raise v.Invalid(f"{name}: a share >= 0, got {v.describe(share)}", show_value=False)
        if math.isinf(share):
            raise v.Invalid(f"{name}: a finite share", show_value=False)
        pairs.append((name, float(share)))
    if (
        pairs
        and sum(share for _, share in pairs)
        + sum(DEFAULT_SHARES[n] for n in DEFAULT_SHARES if n not in dict(pairs))
        <= 0
    ):
        raise v.Invalid("at least one segment with a share > 0", show_value=False)
    return tuple(pairs)


def string_table(value: object) -> tuple[tuple[str, str], ...]:
    """A table of strings (environment variables)."""
    if not isinstance(value, Mapping) or not all(
        isinstance(key, str) and key and isinstance(text, str) for key, text in value.items()
    ):
        raise v.Invalid("a table of strings")
    return tuple(value.items())


def timezone(value: object) -> str:
    """A ``TZ`` value: a POSIX rule (``<+0545>-5:45``, ``UTC0``) or a zone name (``Asia/Tokyo``)."""
    if not isinstance(value, str) or not _TZ_VALUE.match(value):
        raise v.Invalid('a TZ value such as "UTC0", "<+0545>-5:45" or "Asia/Tokyo"')
    return value


def metric_name(value: object) -> str:
    """A Prometheus metric name."""
    if not isinstance(value, str) or not _METRIC_NAME.match(value):
        raise v.Invalid("a Prometheus metric name")
    return value


def label_name(value: object) -> str:
    """A Prometheus label name."""
    if not isinstance(value, str) or not _LABEL_NAME.match(value):
        raise v.Invalid("a Prometheus label name")
    return value


def selector(value: object) -> str:
    """``""`` (not set) or PromQL label matchers in braces: ``{job="auth",track="canary"}``.

    Prometheus checks the matchers themselves; this only keeps the value one selector.
    """
    text = v.string(value).strip()
    if text and not _SELECTOR.match(text):
        raise v.Invalid('PromQL label matchers in braces, such as {job="auth",track="canary"}')
    return text


def http_url(value: object) -> str:
    """``""`` (not set) or an ``http://`` / ``https://`` URL."""
    text = v.string(value).strip()
    if text and not re.match(r"https?://[^/\s]+", text):
        raise v.Invalid("an http:// or https:// URL")
    return text.rstrip("/")


def skew(value: object) -> int:
    """Seconds of clock skew, -300 to 300 (RFC 7519's "a few minutes" of leeway at most)."""
    if isinstance(value, bool) or not isinstance(value, int) or not -300 <= value <= 300:
        raise v.Invalid("an integer -300 to 300 (seconds)")
    return value


def fraction(value: object) -> float:
    """A number strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise v.Invalid("a number between 0 and 1")
    return float(value)


REPLAY_FIELDS: dict[str, v.Converter] = {
    "profile": v.string,
    "baseline": v.string,
    "paths": v.glob_list,
    "accounts": bounded_int(1, 1_000_000),
    "seed": v.non_negative_int,
    "segments": shares,
    "threshold": v.non_negative_int,
    "segment_tolerance": v.percent,
    "database": v.one_of("sqlite", "postgresql"),
    "postgres_dsn": v.string,
    "env": string_table,
    "legacy_costs": v.one_of("historical", "low"),
    "timezone": timezone,
    "concurrency": bounded_int(1, 64),
    "timeout": v.positive_number,
    "cache_dir": v.string,
    "mode": v.one_of("ab", "aa"),
    # Percent of each imported-hash segment's accounts that play the races.
    "races": v.percent,
    # Seconds the candidate's clock runs ahead of the baseline's (negative: behind).
    "clock_skew": skew,
}
CANARY_FIELDS: dict[str, v.Converter] = {
    "baseline_url": http_url,
    "canary_url": http_url,
    "prometheus_url": http_url,
    "baseline_selector": selector,
    "canary_selector": selector,
    "metric": metric_name,
    "outcome_label": label_name,
    "success_outcomes": v.string_list,
    "error_outcomes": v.string_list,
    "ignored_outcomes": v.string_list,
    "min_sample": bounded_int(1, 1_000_000_000),
    "max_drop": v.percent,
    "max_error_rate": v.percent,
    "alpha": fraction,
    "interval": v.positive_number,
    "duration": v.positive_number,
}
SECTIONS: dict[str, tuple[str, dict[str, v.Converter]]] = {
    "replay": ("replay", REPLAY_FIELDS),
    "canary": ("canary", CANARY_FIELDS),
}
SECTION_TYPES: dict[str, type[Any]] = {"replay": ReplayPolicy, "canary": CanaryPolicy}
