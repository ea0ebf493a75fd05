"""Value checks shared by the policy, waivers and postmortem front matter.

Each converter takes a raw value (from TOML, YAML or JSON) and returns it typed, or raises
``Invalid`` saying what was expected; ``check_table`` turns those into one message per problem,
each with its key path, and reports unknown keys too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import math
import shlex
from collections.abc import Callable, Mapping
from typing import Any

from quality_gates.globs import glob_problem

Converter = Callable[[object], Any]


class Invalid(Exception):  # noqa: N818 - reads as `raise Invalid("a number")`
    """The value is not what the key expects; ``expected`` completes "expected ..."."""

    def __init__(self, expected: str, *, show_value: bool = True) -> None:
        super().__init__(expected)
        self.expected = expected
        self.show_value = show_value


def describe(value: object) -> str:
    """A short, unambiguous rendering of a value for an error message."""
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except ValueError:  # NaN and friends
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def problem(keypath: str, exc: Invalid, value: object) -> str:
    """``keypath: expected X, got Y``."""
    if not exc.show_value:
        return f"{keypath}: {exc.expected}"
    return f"{keypath}: expected {exc.expected}, got {describe(value)}"


def percent(value: object) -> float:
    """A number from 0 to 100."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or math.isnan(value)
        or not 0 <= value <= 100
    ):
        raise Invalid("a number 0-100")
    return float(value)


def non_negative_int(value: object) -> int:
    """An integer >= 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid("an integer >= 0")
    return value


def positive_number(value: object) -> float:
    """A number > 0."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise Invalid("a number > 0")
    return float(value)


def boolean(value: object) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise Invalid("true or false")
    return value


def string(value: object) -> str:
    """Any string, empty included (empty usually means "off")."""
    if not isinstance(value, str):
        raise Invalid("a string")
    return value


def text(value: object) -> str:
    """A string with something in it."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid("a non-empty string")
    return value.strip()


def one_of(*choices: str) -> Converter:
    """One of the given strings."""

    def convert(value: object) -> str:
        if value not in choices:
            raise Invalid("one of " + ", ".join(json.dumps(choice) for choice in choices))
        assert isinstance(value, str)  # noqa: S101 - narrowed by the membership test
        return value

    return convert


def string_list(value: object) -> tuple[str, ...]:
    """A list of non-empty strings."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise Invalid("a list of non-empty strings")
    return tuple(value)


def glob_list(value: object) -> tuple[str, ...]:
    """A list of path patterns (see ``quality_gates.globs``)."""
    patterns = string_list(value)
    for index, pattern in enumerate(patterns):
        if (why := glob_problem(pattern)) is not None:
            raise Invalid(f"[{index}] {json.dumps(pattern)}: {why}", show_value=False)
    return patterns


def command(value: object) -> tuple[str, ...]:
    """A command: a list of arguments, or one string split like a shell would."""
    if isinstance(value, str):
        try:
            parts = shlex.split(value)
        except ValueError as exc:
            raise Invalid(f"a command line ({exc})") from None
        if parts:
            return tuple(parts)
    elif isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise Invalid("a command: a non-empty list of strings or a string")


def date(value: object) -> dt.date:
    """A date: TOML/YAML native, or a ``YYYY-MM-DD`` string."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise Invalid("a date YYYY-MM-DD")


def unknown_key(keypath: str, key: str, known: list[str]) -> str:
    """``keypath.key: unknown key (did you mean ...?)``."""
    message = f"{keypath}.{key}: unknown key"
    if close := difflib.get_close_matches(key, known, n=1):
        message += f' (did you mean "{close[0]}"?)'
    return message


def check_table(
    table: Mapping[str, object],
    keypath: str,
    fields: Mapping[str, Converter],
    problems: list[str],
    *,
    required: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Convert the known keys of ``table``; append a message for every problem found."""
    values: dict[str, Any] = {}
    for key, raw in table.items():
        converter = fields.get(key)
        if converter is None:
            problems.append(unknown_key(keypath, key, list(fields)))
            continue
        try:
            values[key] = converter(raw)
        except Invalid as exc:
            problems.append(problem(f"{keypath}.{key}", exc, raw))
    problems.extend(f"{keypath}.{key}: missing (required)" for key in required if key not in table)
    return values


def argument(
    converter: Converter, read: Callable[[str], object] = float
) -> Callable[[str], object]:
    """An argparse ``type`` running the same check as a policy key: ``read`` then ``converter``.

    A flag that overrides a policy key must refuse what the key refuses, with the same words.
    """
    names: dict[object, str] = {int: "an integer", float: "a number"}

    def parse(text: str) -> object:
        try:
            return converter(read(text))
        except Invalid as exc:
            got = f", got {text!r}" if exc.show_value else ""
            raise argparse.ArgumentTypeError(f"expected {exc.expected}{got}") from None
        except ValueError:
            expected = names.get(read, "a value")
            try:  # the key's own words say more ("a number 0-100") when it refuses the text too
                converter(text)
            except Invalid as exc:
                expected = exc.expected
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None

    return parse
