"""The JSON route guard: content type and body checks."""

from __future__ import annotations

import pytest

from authsvc.errors import ProblemException
from authsvc.routes.base import check_json_body, check_json_content_type, problem_responses


@pytest.mark.parametrize(
    "value",
    [
        "application/json",
        "APPLICATION/JSON",
        "application/json; charset=utf-8",
        'application/json;charset="UTF-8"',
        "application/json; charset=utf8",
        "application/json; boundary=x",
    ],
)
def test_json_content_types(value: str) -> None:
    """application/json, optionally with a UTF-8 charset."""
    check_json_content_type(value)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "text/plain",
        "application/json-patch+json",
        "application/json; charset=utf-16",
        "application/problem+json",
        "text/json",
    ],
)
def test_other_content_types_are_415(value: str | None) -> None:
    """Anything else is refused."""
    with pytest.raises(ProblemException) as info:
        check_json_content_type(value)
    assert info.value.status == 415


@pytest.mark.parametrize(
    "body", [b"", b" \n", b"{", b"\xc3\x28", b"[1, NaN]", b"Infinity", b"[" * 100_000]
)
def test_bad_bodies_are_400(body: bytes) -> None:
    """Empty, invalid UTF-8, malformed, non-standard constants, too deep."""
    with pytest.raises(ProblemException) as info:
        check_json_body(body)
    assert info.value.status == 400
    assert info.value.code == "malformed-body"


@pytest.mark.parametrize("body", [b"{}", b'{"a": "\\u00e9"}', b"[]", b"null", b'"x"'])
def test_good_bodies_pass(body: bytes) -> None:
    """Well-formed JSON of any shape passes (the schema judges the shape)."""
    check_json_body(body)


def test_problem_responses_reference_the_problem_schema() -> None:
    """OpenAPI entries use application/problem+json."""
    entry = problem_responses(401)[401]
    assert entry["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
