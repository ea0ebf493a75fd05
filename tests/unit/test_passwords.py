"""Tests for authsvc.security.passwords: normalisation, length limits and the policy."""

from __future__ import annotations

import time
from importlib import resources

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from authsvc.security.passwords import (
    MAX_PASSWORD_LENGTH,
    PASSWORD_COMMON,
    PASSWORD_CONTAINS_EMAIL,
    PASSWORD_INVALID,
    PASSWORD_TOO_LONG,
    PASSWORD_TOO_SHORT,
    PasswordPolicy,
    common_passwords,
    is_too_long,
    normalize_password,
)

POLICY = PasswordPolicy()


def test_nfc_and_nfd_normalise_the_same() -> None:
    """Precomposed and decomposed accents are one password."""
    nfc = "l\u00e8tmein-caf\u00e9"
    nfd = "le\u0300tmein-cafe\u0301"
    assert nfc != nfd
    assert normalize_password(nfc) == normalize_password(nfd) == nfc


def test_normalisation_keeps_spaces_and_case() -> None:
    """Only NFKC: no stripping, no case folding, no collapsing of inner spaces."""
    raw = "  Pass  Word  "
    assert normalize_password(raw) == raw
    assert normalize_password("Secret-Pass-1") != normalize_password("secret-pass-1")


def test_normalisation_applies_compatibility_mappings() -> None:
    """NFKC, not just NFC: the fi ligature and fullwidth letters are unfolded."""
    assert normalize_password("\ufb01ve-\uff21") == "five-A"


@given(st.text())
def test_normalisation_is_idempotent(raw: str) -> None:
    """Normalising twice is normalising once, so callers may normalise early."""
    once = normalize_password(raw)
    assert normalize_password(once) == once


def test_is_too_long_boundary() -> None:
    """1024 code points pass the pre-hash check; 1025 do not."""
    assert MAX_PASSWORD_LENGTH == 1024
    assert not is_too_long("x" * 1024)
    assert is_too_long("x" * 1025)
    assert not is_too_long("\U0001f600" * 1024)  # code points, not bytes


def test_huge_password_is_refused_quickly() -> None:
    """A 1 MiB password is refused by the policy without real work."""
    huge = "a" * (1024 * 1024)
    started = time.perf_counter()
    assert is_too_long(huge)
    assert POLICY.problems(huge) == [PASSWORD_TOO_LONG]
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("length", [8, 15, 64, 128, 1024])
def test_long_passwords_are_accepted(length: int) -> None:
    """Length up to the maximum is allowed (64 and more per ASVS 2.1.2)."""
    password = ("correct horse battery staple " * 40)[:length]
    assert POLICY.problems(password.replace(" ", "-")) == []


def test_length_boundaries() -> None:
    """7 is too short, 8 passes, 1025 is too long."""
    assert POLICY.problems("zq7Lw9x") == [PASSWORD_TOO_SHORT]
    assert POLICY.problems("zq7Lw9xK") == []
    assert POLICY.problems("zq7Lw9xK" * 128 + "!") == [PASSWORD_TOO_LONG]


def test_length_counts_code_points_not_bytes() -> None:
    """8 emoji meet an 8-character minimum; 7 do not."""
    eight = "\U0001f600\U0001f389\U0001f525\U0001f40d\U0001f30d\U0001f680\U0001f4a1\U0001f3b8"
    assert len(eight) == 8
    assert POLICY.problems(eight) == []
    assert POLICY.problems(eight[:7]) == [PASSWORD_TOO_SHORT]


def test_length_is_counted_after_normalisation() -> None:
    """NFD input that composes below the minimum is too short; expansion past max is too long."""
    assert POLICY.problems("e\u0301" * 4) == [PASSWORD_TOO_SHORT]  # 8 raw, 4 normalised
    expanding = "\ufdfa" * 57  # 57 raw code points, 1026 after NFKC
    assert not is_too_long(expanding)
    assert POLICY.problems(expanding) == [PASSWORD_TOO_LONG]


def test_no_composition_rules() -> None:
    """All-digits, all-lower-case and all-space passwords are fine if long enough."""
    assert POLICY.problems("482915736201849") == []
    assert POLICY.problems("purple monkey dishwasher") == []
    assert POLICY.problems(" " * 12) == []


@pytest.mark.parametrize(
    "password",
    [
        "password",
        "12345678",
        "qwertyui",
        "iloveyou",
        "letmein1",
        "PassWord",  # casefolded before the lookup
        "\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44",  # fullwidth: NFKC first
        "11111111",
        "password2024",
        "1qaz2wsx",
    ],
)
def test_common_passwords_are_refused(password: str) -> None:
    """Blocklisted passwords are refused, whatever their case or width."""
    assert PASSWORD_COMMON in POLICY.problems(password)


def test_blocklist_file_shape() -> None:
    """Packaged, lower-case, one a line, no blanks or duplicates, a useful size."""
    text = (
        resources.files("authsvc")
        .joinpath("data", "common-passwords.txt")
        .read_text(encoding="utf-8")
    )
    lines = text.splitlines()
    assert 1000 <= len(lines) <= 10000
    assert len(set(lines)) == len(lines)
    assert all(line and line == line.strip() and line == line.lower() for line in lines)
    assert common_passwords() == frozenset(lines)


@pytest.mark.parametrize(
    ("password", "email"),
    [
        ("arthur123", "arthur@camelot.example"),
        ("xxARTHURxx", "Arthur@camelot.example"),
        ("  King.Arthur@Camelot.example  ", "king.arthur@camelot.example"),
        ("bob@x.io", "bob@x.io"),  # equals the e-mail even though "bob" is short
        ("bob@x.io123", " BOB@X.IO "),
    ],
)
def test_password_containing_the_email_is_refused(password: str, email: str) -> None:
    """The local part (4+ long) or the whole e-mail inside the password is refused."""
    assert PASSWORD_CONTAINS_EMAIL in POLICY.problems(password, email=email)


def test_short_local_parts_are_not_matched() -> None:
    """A 3-character local part would reject too many honest passwords."""
    assert POLICY.problems("jobsearch-zx", email="bob@x.io") == []
    assert POLICY.problems("jobsearch-zx") == []


def test_problems_are_all_reported() -> None:
    """Several problems at once come back together, in a stable order."""
    assert POLICY.problems("qwerty", email="qwerty@x.io") == [
        PASSWORD_TOO_SHORT,
        PASSWORD_COMMON,
        PASSWORD_CONTAINS_EMAIL,
    ]


def test_lone_surrogates_are_invalid() -> None:
    """Text that cannot be UTF-8 encoded could never be hashed."""
    assert PASSWORD_INVALID in POLICY.problems("abcdefgh\ud800")


def test_custom_policy_lengths() -> None:
    """Policies may tighten the limits, never loosen past the hard ceiling."""
    strict = PasswordPolicy(min_length=15, max_length=64)
    assert strict.problems("zq7Lw9xKzq7Lw9") == [PASSWORD_TOO_SHORT]
    assert strict.problems("zq7Lw9xKzq7Lw9x") == []
    assert strict.problems("z" * 65) == [PASSWORD_TOO_LONG]
    with pytest.raises(ValueError, match="min_length"):
        PasswordPolicy(min_length=0)
    with pytest.raises(ValueError, match="max_length"):
        PasswordPolicy(min_length=10, max_length=9)
    with pytest.raises(ValueError, match="max_length"):
        PasswordPolicy(max_length=MAX_PASSWORD_LENGTH + 1)


@given(st.text(max_size=80), st.none() | st.emails())
def test_problems_never_raises_and_returns_known_codes(password: str, email: str | None) -> None:
    """Any input gets a list of known reason codes."""
    known = {
        PASSWORD_TOO_SHORT,
        PASSWORD_TOO_LONG,
        PASSWORD_COMMON,
        PASSWORD_CONTAINS_EMAIL,
        PASSWORD_INVALID,
    }
    assert set(POLICY.problems(password, email=email)) <= known


@given(st.text(min_size=8, max_size=64))
def test_long_enough_uncommon_passwords_pass(password: str) -> None:
    """No composition rules: any 8+ code point text not on the blocklist is accepted."""
    normalized = normalize_password(password)
    assume(8 <= len(normalized) <= 1024)
    assume(normalized.casefold() not in common_passwords())
    assert POLICY.problems(password) == []
