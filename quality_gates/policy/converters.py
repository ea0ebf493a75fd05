"""Converters of the policy's values that more than the basic types need.

Each takes a value as TOML gives it and returns it typed, or raises ``validate.Invalid`` with
what was expected; a flag reads its text and runs the same converter, so both refuse alike.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Mapping

from quality_gates import validate as v

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
_SELECTOR = re.compile(r"\{[^{}\n]*\}\Z")
# A POSIX rule or a zone name: no spaces, quotes or shell characters.
_TZ_VALUE = re.compile(r"[A-Za-z0-9:<>+\-_/]{1,64}\Z")


def bounded_int(low: int, high: int) -> v.Converter:
    """An integer from ``low`` to ``high``."""

    def convert(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise v.Invalid(f"an integer {low}-{high}")
        return value

    return convert


def _named_numbers(value: object, what: str, unit: str) -> list[tuple[str, float]]:
    """A table of ``what`` name -> finite number >= 0 (which names exist: the engine's call)."""
    if not isinstance(value, Mapping):
        raise v.Invalid(f"a table of {what} = {unit}")
    pairs: list[tuple[str, float]] = []
    for name, number in value.items():
        if isinstance(number, bool) or not isinstance(number, int | float) or not number >= 0:
            raise v.Invalid(f"{name}: a {unit} >= 0, got {v.describe(number)}", show_value=False)
        if math.isinf(number):
            raise v.Invalid(f"{name}: a finite {unit}", show_value=False)
        pairs.append((name, float(number)))
    return pairs


def shares(value: object) -> tuple[tuple[str, float], ...]:
    """A table of segment name -> share (a number >= 0).

    Which names exist is the replay engine's business: the replay gate checks them (the
    policy sits below the engines and never imports them).
    """
    return tuple(_named_numbers(value, "segment", "share"))


def cost_budget(value: object) -> tuple[tuple[str, float], ...]:
    """A table of request kind -> declared cost increase in percent (the gate checks kinds)."""
    return tuple(_named_numbers(value, "request kind", "percent"))


def skew(value: object) -> int:
    """Seconds of clock skew, -300 to 300 (RFC 7519's "a few minutes" of leeway at most)."""
    if isinstance(value, bool) or not isinstance(value, int) or not -300 <= value <= 300:
        raise v.Invalid("an integer -300 to 300 (seconds)")
    return value


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


def fraction(value: object) -> float:
    """A number strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise v.Invalid("a number between 0 and 1")
    return float(value)


def arguments(value: object) -> tuple[str, ...]:
    """Command-line arguments: a list of strings (may be empty) or one shell-like string."""
    if isinstance(value, str):
        try:
            return tuple(shlex.split(value))
        except ValueError as exc:
            raise v.Invalid(f"arguments ({exc})") from None
    if isinstance(value, list) and all(isinstance(item, str) and item for item in value):
        return tuple(value)
    raise v.Invalid("a list of non-empty strings, or a string")


def children(value: object) -> int:
    """0 (mutmut's default: one per CPU) or a number of parallel mutant runs."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 256:
        raise v.Invalid("an integer 0-256 (0: one per CPU)")
    return value
