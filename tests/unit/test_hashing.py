"""Tests for authsvc.security.hashing: argon2id, legacy PBKDF2 and bcrypt, and bad input."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import argon2
import bcrypt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from authsvc.security.hashing import (
    Argon2Params,
    PasswordHasher,
    VerifyResult,
    is_supported,
    make_bcrypt,
    make_pbkdf2_sha256,
    scheme_of,
)

FAST = Argon2Params(memory_cost=1024, time_cost=1, parallelism=1)
PASSWORD = "correct horse battery staple"

# Django 1.4's test vector (tests/auth_tests/test_hashers.py, test_pbkdf2).
DJANGO_VECTOR = "pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY="
DJANGO_PASSWORD = "l\u00e8tmein"
# OpenBSD / John the Ripper bcrypt test vector for "U*U".
BCRYPT_VECTOR = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher(FAST)


@pytest.fixture(scope="module")
def argon2_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(PASSWORD)


def test_default_parameters_are_owasp_minimums() -> None:
    """The defaults are m=19456 KiB, t=2, p=1, and new hashes carry them."""
    default = PasswordHasher()
    assert default.params == Argon2Params() == Argon2Params(19456, 2, 1)
    params = argon2.extract_parameters(default.hash(PASSWORD))
    assert (params.type, params.memory_cost, params.time_cost, params.parallelism) == (
        argon2.Type.ID,
        19456,
        2,
        1,
    )


def test_argon2_round_trip(hasher: PasswordHasher, argon2_hash: str) -> None:
    """A new hash is argon2id, verifies, and needs no upgrade at the same parameters."""
    assert argon2_hash.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert hasher.verify(argon2_hash, PASSWORD) == VerifyResult(
        ok=True, needs_upgrade=False, scheme="argon2id"
    )


def test_argon2_wrong_password(hasher: PasswordHasher, argon2_hash: str) -> None:
    """A wrong password fails, and never asks for an upgrade."""
    for wrong in (PASSWORD.upper(), PASSWORD + " ", PASSWORD[:-1], ""):
        assert hasher.verify(argon2_hash, wrong) == VerifyResult(False, False, "argon2id")


def test_salts_are_unique(hasher: PasswordHasher) -> None:
    """The same password hashes differently each time."""
    assert hasher.hash(PASSWORD) != hasher.hash(PASSWORD)


def test_no_truncation_for_new_hashes(hasher: PasswordHasher) -> None:
    """A 100-character password does not verify with its first 72 or 64 characters."""
    long_password = "p\u00e4ssw\u00f6rd-" * 10
    stored = hasher.hash(long_password)
    assert hasher.verify(stored, long_password).ok
    assert not hasher.verify(stored, long_password[:72]).ok
    assert not hasher.verify(stored, long_password[:64]).ok


def test_argon2_needs_upgrade_when_parameters_change(argon2_hash: str) -> None:
    """A stronger configuration flags old hashes, and only after a correct password."""
    stronger = PasswordHasher(Argon2Params(memory_cost=2048, time_cost=1, parallelism=1))
    assert stronger.verify(argon2_hash, PASSWORD) == VerifyResult(True, True, "argon2id")
    assert stronger.verify(argon2_hash, "wrong") == VerifyResult(False, False, "argon2id")
    assert not stronger.verify(stronger.hash(PASSWORD), PASSWORD).needs_upgrade


def test_django_pbkdf2_vector(hasher: PasswordHasher) -> None:
    """Django's own hash verifies, matches hashlib computed independently, and upgrades."""
    expected = base64.b64encode(
        hashlib.pbkdf2_hmac("sha256", DJANGO_PASSWORD.encode("utf-8"), b"seasalt", 10000)
    ).decode()
    assert DJANGO_VECTOR.endswith("$" + expected)
    assert make_pbkdf2_sha256(DJANGO_PASSWORD, iterations=10000, salt="seasalt") == DJANGO_VECTOR
    assert hasher.verify(DJANGO_VECTOR, DJANGO_PASSWORD) == VerifyResult(
        True, True, "pbkdf2_sha256"
    )
    assert hasher.verify(DJANGO_VECTOR, "letmein") == VerifyResult(False, False, "pbkdf2_sha256")


def test_pbkdf2_helper_round_trip(hasher: PasswordHasher) -> None:
    """Generated Django hashes have a fresh salt and verify."""
    first = make_pbkdf2_sha256(PASSWORD, iterations=1000)
    second = make_pbkdf2_sha256(PASSWORD, iterations=1000)
    assert first != second
    assert first.startswith("pbkdf2_sha256$1000$")
    assert hasher.verify(first, PASSWORD) == VerifyResult(True, True, "pbkdf2_sha256")
    with pytest.raises(ValueError, match="salt"):
        make_pbkdf2_sha256(PASSWORD, iterations=1000, salt="a$b")
    with pytest.raises(ValueError, match="iterations"):
        make_pbkdf2_sha256(PASSWORD, iterations=0)


def test_bcrypt_known_vector(hasher: PasswordHasher) -> None:
    """A published bcrypt vector verifies."""
    assert hasher.verify(BCRYPT_VECTOR, "U*U") == VerifyResult(True, True, "bcrypt")
    assert hasher.verify(BCRYPT_VECTOR, "U*V") == VerifyResult(False, False, "bcrypt")


@pytest.mark.parametrize("prefix", ["2a", "2b", "2y"])
def test_bcrypt_variants(hasher: PasswordHasher, prefix: str) -> None:
    """$2a$, $2b$ and $2y$ all verify, fail on a wrong password, and ask for an upgrade."""
    stored = make_bcrypt(PASSWORD, rounds=4, prefix=prefix)
    assert stored.startswith(f"${prefix}$04$")
    assert len(stored) == 60
    assert is_supported(stored)
    assert hasher.verify(stored, PASSWORD) == VerifyResult(True, True, "bcrypt")
    assert hasher.verify(stored, PASSWORD.capitalize()) == VerifyResult(False, False, "bcrypt")


def test_legacy_bcrypt_with_a_password_over_72_bytes(hasher: PasswordHasher) -> None:
    """A legacy system hashed the first 72 bytes; its users still log in with the whole."""
    long_password = "a" + "\u20ac" * 30  # 91 bytes; byte 72 falls inside a character
    legacy = bcrypt.hashpw(long_password.encode("utf-8")[:72], bcrypt.gensalt(4)).decode()
    result = hasher.verify(legacy, long_password)
    assert result == VerifyResult(True, True, "bcrypt")
    # The helper truncates the same way, so generated populations match real ones.
    generated = make_bcrypt(long_password, rounds=4)
    assert bcrypt.checkpw(long_password.encode("utf-8")[:72], generated.encode())
    assert hasher.verify(generated, long_password).ok
    # The upgrade target keeps every byte.
    upgraded = hasher.hash(long_password)
    assert not hasher.verify(upgraded, long_password[:-1]).ok


def test_make_bcrypt_refuses_bad_arguments() -> None:
    """Only the three real prefixes and valid costs."""
    with pytest.raises(ValueError, match="prefix"):
        make_bcrypt(PASSWORD, rounds=4, prefix="2x")
    with pytest.raises(ValueError, match="rounds"):
        make_bcrypt(PASSWORD, rounds=3)


def _argon2_with(base: str, old: str, new: str) -> str:
    assert old in base
    return base.replace(old, new)


MALFORMED = [
    "",
    "plaintext-password",
    "$argon2id$",
    "$argon2id$v=19$m=1024,t=1,p=1$garbage",
    "pbkdf2_sha256$",
    "pbkdf2_sha256$abc$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=",
    "pbkdf2_sha256$0$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=",
    "pbkdf2_sha256$-1$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=",
    "pbkdf2_sha256$10000001$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=",
    "pbkdf2_sha256$10000$$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=",
    "pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtV",
    "pbkdf2_sha256$10000$seasalt$not*base64!",
    "pbkdf2_sha256$10000$seasalt$AAAA",  # valid base64, 3 bytes
    "pbkdf2_sha256$10000$sea$salt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=",
    "pbkdf2_sha256$\u0661\u0660$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=",
    "pbkdf2_sha1$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=",
    "$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
    "$2$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
    "$2a$03$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
    "$2a$32$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
    "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe",
    "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeWW",
    "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe\u00e9",
    "\x00",
    "$argon2i$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ",
]


@pytest.mark.parametrize("stored", MALFORMED)
def test_malformed_hashes_fail_without_raising(hasher: PasswordHasher, stored: str) -> None:
    """Corrupt or foreign records verify as False and are refused at import."""
    result = hasher.verify(stored, PASSWORD)
    assert result.ok is False
    assert result.needs_upgrade is False
    assert not is_supported(stored)


def test_argon2_hash_with_absurd_cost_is_refused(hasher: PasswordHasher, argon2_hash: str) -> None:
    """An imported argon2id record asking for 4 GiB is refused, not attempted."""
    greedy = _argon2_with(argon2_hash, "m=1024,", "m=4194304,")
    assert scheme_of(greedy) == "argon2id"
    assert not is_supported(greedy)
    assert hasher.verify(greedy, PASSWORD) == VerifyResult(False, False, "argon2id")


def test_argon2_hash_with_a_flipped_byte_fails(hasher: PasswordHasher, argon2_hash: str) -> None:
    """A damaged digest is a clean mismatch."""
    damaged = argon2_hash[:-2] + ("A" if argon2_hash[-2] != "A" else "B") + argon2_hash[-1]
    assert hasher.verify(damaged, PASSWORD) == VerifyResult(False, False, "argon2id")


@pytest.fixture
def argon2_verify_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Records every argon2 verification, the one costly operation."""
    calls: list[Any] = []
    real: Callable[..., Any] = argon2.PasswordHasher.verify

    def spy(self: argon2.PasswordHasher, stored: Any, password: Any) -> Any:
        calls.append(stored)
        return real(self, stored, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", spy)
    return calls


@pytest.mark.parametrize("stored", ["", "garbage", MALFORMED[8], MALFORMED[-1]])
def test_malformed_hashes_still_cost_one_argon2_verify(
    hasher: PasswordHasher, argon2_verify_calls: list[Any], stored: str
) -> None:
    """Timing does not reveal a corrupt record: exactly one KDF run happens."""
    assert not hasher.verify(stored, PASSWORD).ok
    assert len(argon2_verify_calls) == 1


def test_dummy_verify_runs_one_verification_at_current_parameters(
    argon2_verify_calls: list[Any],
) -> None:
    """Unknown accounts cost one argon2id verify, with the configured parameters."""
    fresh = PasswordHasher(FAST)
    fresh.dummy_verify(PASSWORD)
    fresh.dummy_verify("\ud800 unencodable")
    assert len(argon2_verify_calls) == 2
    assert argon2_verify_calls[0] == argon2_verify_calls[1]  # made once, then reused
    params = argon2.extract_parameters(argon2_verify_calls[0])
    assert (params.memory_cost, params.time_cost, params.parallelism) == (1024, 1, 1)


def test_unencodable_password_never_raises_in_verify(
    hasher: PasswordHasher, argon2_hash: str
) -> None:
    """A lone surrogate from a JSON body is a failed login, not a crash."""
    for stored in (argon2_hash, DJANGO_VECTOR, BCRYPT_VECTOR):
        assert hasher.verify(stored, "pass\ud800word").ok is False
    with pytest.raises(ValueError):  # noqa: PT011 (UnicodeEncodeError; the policy refuses first)
        hasher.hash("pass\ud800word")


def test_scheme_detection(hasher: PasswordHasher, argon2_hash: str) -> None:
    """Schemes are told apart by prefix; whole-string validity is separate."""
    cases = {
        argon2_hash: "argon2id",
        DJANGO_VECTOR: "pbkdf2_sha256",
        BCRYPT_VECTOR: "bcrypt",
        "$2y$" + BCRYPT_VECTOR[4:]: "bcrypt",
        "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA": None,
        "md5$abc$def": None,
    }
    for stored, scheme in cases.items():
        assert scheme_of(stored) == scheme
        assert hasher.scheme_of(stored) == scheme
        assert is_supported(stored) is (scheme is not None)
        assert hasher.is_supported(stored) is (scheme is not None)


def test_argon2_params_are_validated() -> None:
    """Impossible parameters are refused when configured, not at the first login."""
    with pytest.raises(ValueError, match="time_cost"):
        Argon2Params(time_cost=0)
    with pytest.raises(ValueError, match="memory_cost"):
        Argon2Params(memory_cost=8, parallelism=2)


_STORED: dict[str, str] = {}


def _stored_hashes() -> dict[str, str]:
    if not _STORED:
        _STORED["argon2id"] = PasswordHasher(FAST).hash(PASSWORD)
        _STORED["pbkdf2_sha256"] = make_pbkdf2_sha256(PASSWORD, iterations=1000)
        _STORED["bcrypt"] = make_bcrypt(PASSWORD, rounds=4)
    return _STORED


@given(st.sampled_from(["argon2id", "pbkdf2_sha256", "bcrypt"]), st.text(max_size=40))
def test_needs_upgrade_only_after_a_correct_password(scheme: str, candidate: str) -> None:
    """Whatever the scheme, a failed verify never triggers a rewrite of the hash."""
    hasher = PasswordHasher(FAST)
    result = hasher.verify(_stored_hashes()[scheme], candidate)
    assert result.scheme == scheme
    assert result.ok is (candidate == PASSWORD)
    assert not (result.needs_upgrade and not result.ok)
