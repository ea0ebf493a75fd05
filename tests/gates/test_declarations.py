"""Reading ``behaviour-change:`` declarations out of a pull-request body."""

from __future__ import annotations

import pytest

from quality_gates.review.declarations import Declaration, parse_declarations

NODE = "tests/unit/test_login.py::TestLockout::test_locked[5-10]"
WHY = "the limit is now ten failures"


@pytest.mark.parametrize(
    "line",
    [
        f"behaviour-change: {NODE} \u2014 {WHY}",
        f"- behaviour-change: `{NODE}` \u2013 {WHY}",
        f"* **behaviour-change**: {NODE} -- {WHY}",
        f"Behavior-Change: {NODE} - {WHY}",
        f"behaviour-change: {NODE}: {WHY}",
    ],
)
def test_every_documented_form_is_read(line: str) -> None:
    assert parse_declarations(f"Intro.\n\n{line}\n") == ([Declaration(NODE, WHY, 3)], [])


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (f"behaviour-change: {NODE}", "needs a reason of at least 10 characters"),
        (f"behaviour-change: {NODE} \u2014 short", "needs a reason"),
        ("behaviour-change: test_locked \u2014 the limit moved", "needs a pytest node id"),
        (f"behaviour-change: {NODE} \u2014 {WHY}\nbehaviour-change: {NODE} \u2014 {WHY}", "twice"),
    ],
)
def test_malformed_lines_are_problems_with_their_line(body: str, problem: str) -> None:
    declarations, problems = parse_declarations(body)
    assert len(problems) == 1
    assert problem in problems[0].message
    assert problems[0].line == body.count("\n") + 1
    assert len(declarations) == body.count("\n")


def test_fenced_and_commented_lines_are_not_declarations() -> None:
    body = f"```\nbehaviour-change: {NODE} \u2014 {WHY}\n```\n<!-- behaviour-change: x -->\n"
    assert parse_declarations(body) == ([], [])


def test_a_declaration_covers_cases_and_class_members_only() -> None:
    whole = Declaration("t.py::TestA::test_b", WHY, 1)
    assert whole.covers("t.py::TestA::test_b[1]")
    assert not whole.covers("t.py::TestA::test_bc")
    assert Declaration("t.py::TestA", WHY, 1).covers("t.py::TestA::test_b")
    assert not Declaration("t.py::TestA::test_b[1]", WHY, 1).covers("t.py::TestA::test_b[2]")
