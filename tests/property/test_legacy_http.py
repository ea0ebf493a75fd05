"""Legacy and old-parameter hashes: verified, upgraded after a success only, still valid.

These are grey-box properties: the account is seeded with a stored hash (as
``authsvc import-users`` does) and the stored hash is read back from the database.
"""

from __future__ import annotations

import argon2
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from authsvc.security.hashing import BCRYPT, BCRYPT_MAX_BYTES
from authsvc.security.passwords import normalize_password
from tests.property._budget import examples
from tests.property._service import InProcessService
from tests.property.test_accounts_http import assert_refused
from tests.strategies import (
    FAST_ARGON2,
    NORMALISATION_PIECES,
    POLICY,
    LegacyRecord,
    bcrypt_visible_chars,
    emails,
    legacy_records,
    long_passwords,
    password_mutations,
    valid_passwords,
)


def assert_current_argon2(stored: str) -> None:
    """``stored`` is argon2id at the service's current parameters."""
    assert stored.startswith("$argon2id$")
    params = argon2.extract_parameters(stored)
    assert (params.memory_cost, params.time_cost, params.parallelism) == (
        FAST_ARGON2.memory_cost,
        FAST_ARGON2.time_cost,
        FAST_ARGON2.parallelism,
    )


def wrong_password_for(record: LegacyRecord) -> st.SearchStrategy[str]:
    """A one-character change the record's scheme can see.

    bcrypt hashed only the first 72 bytes, so before the upgrade a change after them
    is invisible to it: by design of the legacy scheme, not a fault of the service.
    """
    if record.scheme != BCRYPT:
        return password_mutations(record.password)
    visible = bcrypt_visible_chars(record.password)
    return password_mutations(record.password, within=visible).filter(
        lambda wrong: (
            normalize_password(wrong).encode()[:BCRYPT_MAX_BYTES]
            != record.hashed.encode()[:BCRYPT_MAX_BYTES]
        )
    )


@settings(max_examples=examples(30))
@given(st.data())
def test_legacy_hash_verifies_and_is_upgraded_after_a_success_only(
    service: InProcessService, data: st.DataObject
) -> None:
    """Wrong password: refused, hash untouched. Right password: 200, hash now current
    argon2id. Afterwards: the password still works, a wrong one still fails."""
    service.reset()
    email = data.draw(emails(), label="email")
    password = st.one_of(valid_passwords(email), long_passwords()).filter(
        lambda p: not POLICY.problems(p, email=email)
    )
    record = data.draw(legacy_records(password), label="record")
    wrong = data.draw(wrong_password_for(record), label="wrong")
    service.seed_account(email, record.stored)

    assert_refused(service.login(email, wrong))
    assert service.stored_hash(email) == record.stored, "a failed login rewrote the hash"

    assert service.login(email, record.password).status_code == 200
    upgraded = service.stored_hash(email)
    if _bcrypt_saw_a_prefix(record):
        # bcrypt verified only 72 bytes, so the upgrade would be a guess: it is skipped.
        assert upgraded == record.stored, "a >72-byte bcrypt password was re-hashed"
    else:
        assert upgraded != record.stored
        assert_current_argon2(upgraded)

    assert service.login(email, record.password).status_code == 200
    assert service.stored_hash(email) == upgraded, "a current hash was rewritten"
    assert_refused(service.login(email, wrong))


def _bcrypt_saw_a_prefix(record: LegacyRecord) -> bool:
    return record.scheme == BCRYPT and len(record.hashed.encode()) > BCRYPT_MAX_BYTES


@settings(max_examples=examples(15))
@given(st.data())
def test_no_upgrade_from_a_bcrypt_login_beyond_72_bytes(
    service: InProcessService, data: st.DataObject
) -> None:
    """bcrypt only saw 72 bytes, so no upgrade is made from such a login (it would store
    whatever tail was typed); the account keeps working on its legacy hash."""
    service.reset()
    email = data.draw(emails(), label="email")
    password = data.draw(
        long_passwords().filter(lambda p: not POLICY.problems(p, email=email)), label="password"
    )
    record = data.draw(legacy_records(st.just(password), schemes=[BCRYPT]), label="record")
    # Over 72 bytes as hashed (NFKC can shrink a long typed password below the limit).
    assume(_bcrypt_saw_a_prefix(record))
    hashed = normalize_password(password)
    same_prefix = hashed[:-1] + ("1" if hashed[-1] != "1" else "2")  # another tail
    service.seed_account(email, record.stored)
    # The legacy hash cannot tell them apart; that is bcrypt's flaw, kept, not made worse.
    assert service.login(email, password).status_code == 200
    assert service.stored_hash(email) == record.stored
    assert service.login(email, same_prefix).status_code == 200
    assert service.stored_hash(email) == record.stored
    assert service.login(email, password).status_code == 200


@settings(max_examples=examples(20))
@given(st.data())
def test_failed_logins_never_rewrite_any_hash(
    service: InProcessService, data: st.DataObject
) -> None:
    """Any number of wrong passwords (up to the lock) leave the stored hash byte-identical."""
    service.reset()
    email = data.draw(emails(), label="email")
    record = data.draw(legacy_records(valid_passwords(email)), label="record")
    service.seed_account(email, record.stored)
    attempts = data.draw(st.lists(wrong_password_for(record), min_size=1, max_size=6))
    for attempt in attempts:
        assert_refused(service.login(email, attempt))
        assert service.stored_hash(email) == record.stored


@settings(max_examples=examples(15))
@given(st.data())
def test_a_current_hash_is_never_rewritten_on_login(
    service: InProcessService, data: st.DataObject
) -> None:
    """A hash made at the current parameters stays as it is across logins."""
    service.reset()
    email = data.draw(emails(), label="email")
    password = data.draw(valid_passwords(email), label="password")
    assert service.register(email, password).status_code == 201
    stored = service.stored_hash(email)
    assert_current_argon2(stored)
    for _ in range(2):
        assert service.login(email, password).status_code == 200
    assert service.stored_hash(email) == stored


@settings(max_examples=examples(15))
@given(st.data())
def test_legacy_hash_of_the_password_as_typed_verifies(
    service: InProcessService, data: st.DataObject
) -> None:
    """A legacy system hashed what the user typed, without NFKC (Django, PHP and bcrypt
    libraries do not normalise). Such a user must still log in after the import, and
    the upgrade then stores the NFKC form.

    Guards the incident class exactly: users with a legacy hash and a password with a
    fullwidth letter, a ligature, a superscript or a decomposed accent.
    """
    service.reset()
    email = data.draw(emails(), label="email")
    base = data.draw(valid_passwords(email), label="base")
    piece = data.draw(st.sampled_from(NORMALISATION_PIECES), label="piece")
    typed = base + piece
    if normalize_password(typed) == typed or POLICY.problems(typed, email=email):
        return  # nothing to show: the typed text is already its NFKC form
    record = data.draw(legacy_records(st.just(typed), as_typed=True), label="record")
    service.seed_account(email, record.stored)
    response = service.login(email, typed)
    assert response.status_code == 200, (
        f"{record.scheme} hash of the password as typed is refused: {response.text}"
    )
    if _bcrypt_saw_a_prefix(record):
        assert service.stored_hash(email) == record.stored  # see the >72-byte rule below
    else:
        assert_current_argon2(service.stored_hash(email))
    assert service.login(email, typed).status_code == 200


@settings(max_examples=examples(10))
@given(st.data())
def test_an_upgrade_never_locks_out_the_password_the_legacy_hash_was_made_from(
    service: InProcessService, data: st.DataObject
) -> None:
    """bcrypt accepts any password that shares the first 72 bytes. If the first login
    after the import has another tail (a typo after byte 72), upgrading to argon2id of
    *that* text re-keys the account to the typo: the real password is refused for good.

    An upgrade must only store what the old hash verified, so over 72 bytes it must be
    skipped (the account stays on bcrypt semantics) rather than made from unverified bytes.
    """
    service.reset()
    email = data.draw(emails(), label="email")
    # Room for the typo under the 1024 code-point ceiling. Long as stored, too: NFKC can
    # shrink a long typed password (no-break spaces become spaces) under bcrypt's 72
    # bytes, and then bcrypt tells the typo apart and the premise does not hold.
    real = data.draw(
        long_passwords(max_length=1000).filter(
            lambda p: (
                not POLICY.problems(p, email=email)
                and len(normalize_password(p).encode()) > BCRYPT_MAX_BYTES
            )
        ),
        label="real",
    )
    record = data.draw(legacy_records(st.just(real), schemes=[BCRYPT]), label="record")
    typo = normalize_password(real) + data.draw(st.sampled_from(["x", "1", " "]), label="typo")
    service.seed_account(email, record.stored)
    # bcrypt cannot tell them apart: accepting the typo is the legacy scheme's flaw.
    assert service.login(email, typo).status_code == 200
    response = service.login(email, real)
    assert response.status_code == 200, "the upgrade re-keyed the account to the typo"
