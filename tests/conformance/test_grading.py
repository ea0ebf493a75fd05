"""Audit by default: how a claim grades a violation, and what counts as the suite's own error."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from quality_gates.conformance import grading
from quality_gates.conformance.hooks import HookError
from quality_gates.conformance.plugin import error_reason
from quality_gates.conformance.properties._support import claim, claimed, not_run
from quality_gates.conformance.target import Target, open_target
from tests.conformance._hostile import PROFILE


def _target(tmp_path: Path, claims: str) -> Target:
    profile = tmp_path / "p.toml"
    profile.write_text(PROFILE.split("[claims]")[0] + "[claims]\n" + claims, encoding="utf-8")
    return open_target("http://127.0.0.1:9", profile)


def test_a_claimed_property_is_graded_as_a_failure(tmp_path: Path) -> None:
    target = _target(tmp_path, "revoke_on_logout = true\nmin_password_length = 12\n")
    record = grading.reset()
    assert claim(target, "revoke_on_logout") is True
    assert claim(target, "min_password_length", default=8) == 12
    assert claimed(target, "revoke_on_logout")
    assert record.unclaimed == []


def test_an_unclaimed_property_is_audited_with_its_default(tmp_path: Path) -> None:
    target = _target(tmp_path, "")
    record = grading.reset()
    assert claim(target, "identifier_canonicalisation") is True
    assert claim(target, "min_password_length", default=8) == 8
    assert not claimed(target, "identifier_canonicalisation")
    assert record.unclaimed == ["identifier_canonicalisation", "min_password_length"]


def test_no_value_to_audit_with_or_disowned_skips(tmp_path: Path) -> None:
    target = _target(tmp_path, "registration_hides_existence = false\n")
    grading.reset()
    with pytest.raises(pytest.skip.Exception, match=r"^needs claims\.max_body_bytes"):
        claim(target, "max_body_bytes")
    with pytest.raises(pytest.skip.Exception, match=r"^disclaimed: claims\.registration_hides"):
        claim(target, "registration_hides_existence")
    assert grading.current().unclaimed == []


def test_not_run_is_recorded_for_the_plugin() -> None:
    grading.reset()
    with pytest.raises(pytest.skip.Exception):
        not_run("client-wide lockout")
    assert grading.current().not_run == "client-wide lockout"


@pytest.mark.parametrize(
    ("when", "exc", "expected"),
    [
        ("call", TypeError("bad operand"), "the suite raised TypeError: bad operand (a bug in"),
        ("call", httpx.ReadError("closed"), "no usable answer from the target: ReadError: closed"),
        ("call", HookError("exit 1"), "hook failed: exit 1"),
        ("setup", AssertionError("register got 500"), "could not set up the check: Assertion"),
    ],
)
def test_only_an_assertion_in_the_check_is_the_targets_violation(
    when: str, exc: BaseException, expected: str
) -> None:
    assert error_reason(when, exc).startswith(expected)
