"""Tests for authsvc.security.identifiers: e-mail canonicalisation and validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authsvc.security.identifiers import (
    EMAIL_EMPTY,
    EMAIL_INVALID,
    EMAIL_TOO_LONG,
    MAX_EMAIL_LENGTH,
    canonical_email,
    email_problem,
)

# Text heavy in the characters that make canonicalisation hard: compatibility forms,
# case pairs with multi-character folds, combining marks, and odd whitespace.
_TRICKY = st.sampled_from(
    [
        " ",
        "\t",
        "\u00a0",
        "\u3000",
        "\u203e",  # OVERLINE: NFKC gives SPACE + COMBINING OVERLINE
        "\u2126",  # OHM SIGN
        "\u03a9",
        "\u00df",  # sharp s: casefolds to "ss"
        "\u1e9e",
        "\u0130",  # I with dot above
        "\u0131",
        "\u01f0",  # j with caron: no precomposed capital
        "\u0301",
        "\u0345",  # combining ypogegrammeni: casefolds to iota
        "\ufb01",  # fi ligature
        "\uff26",  # fullwidth F
        "\uff20",  # fullwidth @
        "@",
        ".",
        "A",
        "a",
    ]
)
tricky_text = st.lists(st.one_of(_TRICKY, st.characters()), max_size=30).map("".join)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  \uff26oo@Example.COM ", "foo@example.com"),
        ("King.Arthur@Camelot.example", "king.arthur@camelot.example"),
        ("\ta@x.io\n", "a@x.io"),
        ("a\uff20x.io", "a@x.io"),  # fullwidth commercial at
        ("STRASSE@x.de", "strasse@x.de"),
        ("stra\u00dfe@x.de", "strasse@x.de"),
    ],
)
def test_canonical_email_examples(raw: str, expected: str) -> None:
    """Trimmed, NFKC-normalised and casefolded."""
    assert canonical_email(raw) == expected


def test_ohm_sign_and_omega_collide() -> None:
    """Look-alike identifiers map to one account (Django's Ohm/Omega test)."""
    ohm = canonical_email("iamthe\u2126@x.io")
    omega = canonical_email("iamthe\u03a9@x.io")
    assert ohm == omega == "iamthe\u03c9@x.io"


def test_nfc_and_nfd_spellings_collide() -> None:
    """Precomposed and decomposed accents give the same canonical e-mail."""
    assert canonical_email("Jos\u00e9@x.io") == canonical_email("Jose\u0301@x.io")


def test_overline_does_not_break_idempotence() -> None:
    """NFKC turns U+203E into a leading space; the result is still stable."""
    once = canonical_email("\u203ea@x.io")
    assert canonical_email(once) == once
    assert once == once.strip()


@given(tricky_text)
def test_canonical_email_is_idempotent(raw: str) -> None:
    """Canonicalising a canonical form changes nothing."""
    once = canonical_email(raw)
    assert canonical_email(once) == once


@given(tricky_text)
def test_canonical_email_has_no_surrounding_whitespace(raw: str) -> None:
    """The canonical form never starts or ends with whitespace."""
    assert canonical_email(raw) == canonical_email(raw).strip()


@given(tricky_text)
def test_email_problem_depends_only_on_the_canonical_form(raw: str) -> None:
    """Validation sees what is stored, so both spellings get the same verdict."""
    assert email_problem(raw) == email_problem(canonical_email(raw))


@given(tricky_text)
def test_accepted_emails_have_one_at_and_a_dotted_domain(raw: str) -> None:
    """Whatever is accepted satisfies the documented shape."""
    if email_problem(raw) is None:
        email = canonical_email(raw)
        local, _, domain = email.partition("@")
        assert email.count("@") == 1
        assert local
        assert "." in domain
        assert all(domain.split("."))
        assert len(email) <= MAX_EMAIL_LENGTH


@pytest.mark.parametrize(
    "raw",
    [
        "a@x.io",
        "  A@X.IO ",
        "first.last+tag@sub.example.co.uk",
        "\u00fcser@b\u00fccher.example",
        "\u7528\u6237@\u4f8b\u5b50.\u4e2d\u56fd",
    ],
)
def test_valid_emails_have_no_problem(raw: str) -> None:
    """Ordinary and internationalised addresses are accepted."""
    assert email_problem(raw) is None


@pytest.mark.parametrize("raw", ["", " ", "\t\n", "\u3000"])
def test_empty_emails(raw: str) -> None:
    """Nothing but whitespace is empty."""
    assert email_problem(raw) == EMAIL_EMPTY


def test_length_limit_is_254_code_points_after_canonicalisation() -> None:
    """254 is accepted; 255 is too long, counted after trimming."""
    domain = "@x.io"
    at_limit = "a" * (MAX_EMAIL_LENGTH - len(domain)) + domain
    assert len(at_limit) == 254
    assert email_problem(at_limit) is None
    assert email_problem(f"   {at_limit}   ") is None
    assert email_problem("a" + at_limit) == EMAIL_TOO_LONG
    # Counted in code points, not bytes: 254 two-byte characters still fit.
    assert email_problem("\u00e9" * (254 - len(domain)) + domain) is None


@pytest.mark.parametrize(
    "raw",
    [
        "king.arthur",
        "@x.io",
        "a@",
        "a@@x.io",
        "a@b@x.io",
        "a@localhost",
        "a@x.",
        "a@.io",
        "a@x..io",
        "a b@x.io",
        "a@x .io",
        "a\tb@x.io",
        "a\x00b@x.io",
        "a\x7f@x.io",
        "a\u200b@x.io",  # zero-width space
        "a\u202e@x.io",  # right-to-left override
        "a\u2028@x.io",  # line separator
        "a\ud800@x.io",  # lone surrogate (JSON "\ud800")
    ],
)
def test_invalid_emails(raw: str) -> None:
    """Malformed addresses get the stable invalid code."""
    assert email_problem(raw) == EMAIL_INVALID
