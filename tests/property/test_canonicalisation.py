"""Properties of e-mail canonicalisation and password normalisation (security layer only).

The HTTP-level versions (same account on every path) are in ``test_accounts_http.py``;
these run thousands of spellings cheaply, so a canonicalisation bug is found here first.
"""

from __future__ import annotations

import string
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from authsvc.security.identifiers import canonical_email, email_problem
from authsvc.security.passwords import normalize_password
from tests.strategies import (
    POLICY,
    email_spellings,
    emails,
    password_forms,
    password_mutations,
    raw_passwords,
    valid_passwords,
)


@given(st.data())
def test_every_spelling_has_the_canonical_form_of_the_original(data: st.DataObject) -> None:
    """Case, look-alikes, normal forms and padding never change the canonical e-mail."""
    email = data.draw(emails(), label="email")
    spelling = data.draw(email_spellings(email), label="spelling")
    assert canonical_email(spelling) == canonical_email(email)


@given(st.data())
def test_canonicalisation_is_idempotent_on_every_spelling(data: st.DataObject) -> None:
    """The canonical form of a canonical form is itself, and it carries no padding."""
    spelling = data.draw(email_spellings(data.draw(emails())))
    once = canonical_email(spelling)
    assert canonical_email(once) == once
    assert once == once.strip()
    assert unicodedata.normalize("NFKC", once) == once


@given(st.data())
def test_validity_does_not_depend_on_the_spelling(data: st.DataObject) -> None:
    """A valid address stays valid in every spelling: no user is refused for a capital."""
    spelling = data.draw(email_spellings(data.draw(emails())))
    assert email_problem(spelling) is None


@given(raw_passwords())
def test_password_normal_forms_normalise_to_one_password(password: str) -> None:
    """NFC, NFD, NFKC and NFKD spellings become the same string that is hashed."""
    normalised = {normalize_password(form) for form in password_forms(password).values()}
    assert normalised == {normalize_password(password)}


@given(raw_passwords(), st.text(string.ascii_letters, min_size=1))
def test_password_normalisation_keeps_spaces_and_case(password: str, letters: str) -> None:
    """Only NFKC is applied: surrounding spaces stay, and case is never folded."""
    normalised = normalize_password(f"  {password} ")
    assert normalised.startswith("  ")
    assert normalised.endswith(" ")
    assert normalize_password(password + letters) != normalize_password(
        password + letters.swapcase()
    )


@given(st.data())
def test_policy_verdict_is_the_same_for_every_normal_form(data: st.DataObject) -> None:
    """A password the policy accepts is accepted in every normal form that fits the limit."""
    password = data.draw(valid_passwords())
    for form, spelling in password_forms(password).items():
        if len(spelling) <= POLICY.max_length:
            assert POLICY.problems(spelling) == [], form


@given(st.data())
def test_a_mutation_is_a_different_password_after_normalisation(data: st.DataObject) -> None:
    """The mutation strategy only yields real changes; the HTTP tests rely on that."""
    password = data.draw(valid_passwords())
    mutated = data.draw(password_mutations(password))
    assert normalize_password(mutated) != normalize_password(password)
