"""The replay population: seeded, deterministic, in segments, with real legacy hash records."""

from __future__ import annotations

import base64
import hashlib
import unicodedata

import argon2
import bcrypt
import pytest

from quality_gates.replay.population import Account, Population, resolve_shares, segment_counts
from quality_gates.replay.segments import DEFAULT_SHARES, SEGMENTS


def test_same_seed_same_population_hashes_included() -> None:
    first, second = Population(200, seed=7), Population(200, seed=7)
    assert list(first) == list(second)
    imported = [a for a in first if a.segment.source == "import"][:12]
    again = [second.account(a.index) for a in imported]
    assert [a.import_record("low") for a in imported] == [a.import_record("low") for a in again]


def test_another_seed_another_population() -> None:
    first, second = list(Population(100, seed=1)), list(Population(100, seed=2))
    assert [a.password for a in first] != [a.password for a in second]
    assert [a.segment.name for a in first] != [a.segment.name for a in second]


def test_account_i_does_not_depend_on_the_population_size() -> None:
    """Accounts are made one at a time from (seed, index): nothing is held for them."""
    small, large = Population(50, seed=3), Population(5000, seed=3)
    index = next(i for i in range(50) if small.segment_of(i) == large.segment_of(i))
    assert small.account(index).password == large.account(index).password


def test_default_shares_mirror_a_migrated_service() -> None:
    counts = Population(1000).counts
    assert sum(counts.values()) == 1000
    assert counts == {name: round(share * 10) for name, share in DEFAULT_SHARES.items()}
    legacy = sum(n for name, n in counts.items() if SEGMENTS[name].scheme is not None)
    assert legacy > 500  # a majority still on imported hashes


def test_counts_by_largest_remainder() -> None:
    assert segment_counts(7, {"a": 1, "b": 1, "c": 1}) == {"a": 3, "b": 2, "c": 2}
    assert segment_counts(3, {"a": 0, "b": 1}) == {"b": 3}
    assert segment_counts(60, resolve_shares()) == Population(60).counts
    assert sum(Population(61).counts.values()) == 61


def test_share_overrides() -> None:
    shares = resolve_shares({"legacy-pbkdf2": 0, "current": 50})
    assert shares["legacy-pbkdf2"] == 0
    assert "legacy-pbkdf2" not in Population(100, shares=shares).counts
    with pytest.raises(ValueError, match="unknown segment"):
        resolve_shares({"legacy-md5": 1})
    with pytest.raises(ValueError, match="every segment share is 0"):
        resolve_shares(dict.fromkeys(DEFAULT_SHARES, 0))


def _by_segment(population: Population) -> dict[str, list[Account]]:
    groups: dict[str, list[Account]] = {}
    for account in population:
        groups.setdefault(account.segment.name, []).append(account)
    return groups


def test_segments_hold_what_their_names_say() -> None:
    groups = _by_segment(Population(600, seed=11))
    for account in groups["email-mixed-case"]:
        assert account.email != account.email.lower()
    for account in groups["email-whitespace"]:
        assert account.email != account.email.strip()
    for account in groups["email-unicode"]:
        email = account.email
        assert "ß" in email
        assert email.lower() != email.casefold()
    for name in ("password-nfd", "legacy-pbkdf2-nfd"):
        for account in groups[name]:
            password = account.password
            assert unicodedata.is_normalized("NFD", password)
            assert password != unicodedata.normalize("NFC", password)
    for account in groups["password-nfc"]:
        assert unicodedata.is_normalized("NFC", account.password)
    for account in groups["password-compat"]:
        # Typed in NFC, but NFKC (what a service may hash) spells it differently.
        password = account.password
        assert unicodedata.is_normalized("NFC", password)
        assert not unicodedata.is_normalized("NFKC", password)
    for name in ("password-long", "legacy-bcrypt-long"):
        for account in groups[name]:
            assert len(account.password.encode()) > 72
    for account in groups["password-spaces"]:
        password = account.password
        assert " " in password.strip()
        assert password.endswith(" ")
        assert account.wrong_password == password.strip()


def test_variants_and_wrong_passwords() -> None:
    for account in Population(200, seed=5):
        assert account.wrong_password != account.password
        assert account.case_variant == account.email.strip().upper()
        assert account.whitespace_variant.strip() == account.email.strip()
        assert account.whitespace_variant != account.email.strip()
        # A near miss inside bcrypt's 72 bytes, or bcrypt would accept it.
        wrong, right = account.wrong_password.encode()[:72], account.password.encode()[:72]
        assert wrong != right


def test_legacy_records_verify_with_the_reference_libraries() -> None:
    """Every imported record is what the legacy system wrote: checked independently."""
    population = Population(400, seed=9)
    seen: set[str] = set()
    for account in population:
        scheme = account.segment.scheme
        if scheme is None or scheme in seen:
            continue
        seen.add(scheme)
        record = account.import_record("low")
        stored = str(record["password_hash"])
        assert record["email"] == account.email
        assert record["disabled"] is (account.segment.state == "disabled")
        if scheme == "pbkdf2":
            _, iterations, salt, digest = stored.split("$")
            expected = hashlib.pbkdf2_hmac(
                "sha256", account.password.encode(), salt.encode(), int(iterations)
            )
            assert base64.b64decode(digest) == expected
        elif scheme == "argon2-old":
            assert stored.startswith("$argon2id$v=19$m=256,t=1,p=2$")
            assert argon2.PasswordHasher().verify(stored, account.password)
        else:
            prefix = "$2y$" if scheme == "bcrypt-2y" else "$2b$"
            assert stored.startswith(prefix + "04$")
            as_2b = "$2b$" + stored[4:]
            assert bcrypt.checkpw(account.password.encode()[:72], as_2b.encode())
            assert not bcrypt.checkpw(account.wrong_password.encode()[:72], as_2b.encode())
    assert seen == {"pbkdf2", "bcrypt", "bcrypt-2y", "bcrypt-long", "argon2-old"}


def test_historical_costs_are_historical() -> None:
    account = next(a for a in Population(100, seed=1) if a.segment.scheme == "pbkdf2")
    iterations = int(str(account.import_record("historical")["password_hash"]).split("$")[1])
    assert iterations in (20_000, 36_000, 100_000, 150_000, 260_000)


def test_registered_accounts_have_no_hash() -> None:
    account = next(a for a in Population(100) if a.segment.source == "register")
    with pytest.raises(ValueError, match="not imported"):
        account.stored_hash("low")


def test_an_empty_population_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one account"):
        Population(0)


def test_every_segment_tries_both_e_mail_variants() -> None:
    """Plain addresses alternate capitals and spaces through their segment (half the cost of
    both); the e-mail segments try both on every account."""
    population = Population(1000, seed=3)
    by_segment: dict[str, list[tuple[str, ...]]] = {}
    for account in population:
        by_segment.setdefault(account.segment.name, []).append(account.variants)
    for name, variants in by_segment.items():
        if SEGMENTS[name].address == "plain":
            assert variants[0::2] == [("login-case",)] * len(variants[0::2]), name
            assert variants[1::2] == [("login-whitespace",)] * len(variants[1::2]), name
        else:
            assert set(variants) == {("login-case", "login-whitespace")}, name
    assert Population(1000, seed=3).account(417) == population.account(417)
