"""The accepted-survivors file: validation with key paths, matching, expiry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from quality_gates.errors import InputError
from quality_gates.mutation.survivors import load_survivors

VALID = """\
[[survivor]]
function = "app.auth.login.check"
original = "if   attempts > 5:"
mutated = "if attempts >= 5:"
reason = "the lockout test covers it at the integration level"
expires = 2030-01-31
owner = "@alice"

[[survivor]]
mutant = "app.logs.x_*"
reason = "log formatting is not security relevant"
expires = "2020-01-01"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "survivors.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_entries_match_by_function_and_lines(tmp_path: Path) -> None:
    first, second = load_survivors(write(tmp_path, VALID), "survivors.toml")
    assert first.label == "survivor[0] (app.auth.login.check)"
    name = "app.auth.login.x_check__mutmut_3"
    # Whitespace is not part of a mutation; the mutmut number is not looked at.
    assert first.matches(name, "app.auth.login.check", "if attempts > 5:", "if attempts >= 5:")
    assert not first.matches(name, "app.auth.login.check", "if attempts > 5:", "if attempts > 6:")
    assert not first.matches(name, "app.auth.other", "if attempts > 5:", "if attempts >= 5:")
    assert first.covers(name, "app.auth.login.check")
    # A glob accepts every mutant it names, whatever its lines.
    assert second.matches("app.logs.x_line__mutmut_1", "app.logs.line", "a", "b")
    assert not second.matches("app.auth.x_line__mutmut_1", "app.auth.line", "a", "b")


def test_expiry_is_inclusive(tmp_path: Path) -> None:
    first, second = load_survivors(write(tmp_path, VALID), "survivors.toml")
    assert not first.expired(dt.date(2030, 1, 31))
    assert first.expired(dt.date(2030, 2, 1))
    assert second.expired(dt.date(2024, 5, 25))


def test_every_problem_is_listed_with_its_key_path(tmp_path: Path) -> None:
    text = """\
survivors = 1

[[survivor]]
function = "app.f"
expires = "soon"

[[survivor]]
reason = "no selector"
expires = 2030-01-01
colour = "red"
"""
    with pytest.raises(InputError) as caught:
        load_survivors(write(tmp_path, text), "survivors.toml")
    assert caught.value.problems == (
        'survivors.toml: survivors: unknown key (did you mean "survivor"?)',
        'survivors.toml: survivor[0].expires: expected a date YYYY-MM-DD, got "soon"',
        "survivors.toml: survivor[0].reason: missing (required)",
        "survivors.toml: survivor[1].colour: unknown key",
        "survivors.toml: survivor[1]: needs a function (or a mutant name or glob)",
    )


def test_unreadable_files_are_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="invalid TOML"):
        load_survivors(write(tmp_path, "[[survivor]\n"), "survivors.toml")
    with pytest.raises(InputError, match=r"expected \[\[survivor\]\] tables"):
        load_survivors(write(tmp_path, "survivor = 1\n"), "survivors.toml")
    with pytest.raises(InputError, match="cannot read"):
        load_survivors(tmp_path / "missing.toml", "missing.toml")
