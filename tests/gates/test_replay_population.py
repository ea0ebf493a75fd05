"""The replay population: seeded, deterministic, in segments, with real legacy hash records."""

from __future__ import annotations

import base64
import hashlib
import unicodedata
from typing import get_args

import argon2
import bcrypt
import idna
import pytest

from authsvc.security.identifiers import canonical_email, email_problem
from quality_gates.replay.emails import MAX_LOCAL, SHAPES, classify
from quality_gates.replay.population import Account, Population, resolve_shares, segment_counts
from quality_gates.replay.segments import DEFAULT_SHARES, SEGMENTS, Scheme

# At low costs the wide schemes keep their real (first, cheapest) setting: it is their point.
LOW_ARGON2 = {
    "argon2-old": "$argon2id$v=19$m=256,t=1,p=2$",
    "argon2-v16": "$argon2id$v=16$m=512,t=2,p=2$",
    "argon2-modern": "$argon2id$v=19$m=65536,t=3,p=4$",
}
LOW_BCRYPT_COST = {"bcrypt-12": "12", "bcrypt-high": "13"}


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
    sampled = {name for name, segment in SEGMENTS.items() if segment.sample}
    for name, share in DEFAULT_SHARES.items():
        if name in sampled:  # capped at a few accounts: their cost is paid per account
            assert counts[name] == min(round(share * 10), SEGMENTS[name].sample), name
        else:  # the rest share what the capped segments gave up
            assert round(share * 10) <= counts[name] <= round(share * 10 * 1.1), name
    legacy = sum(n for name, n in counts.items() if SEGMENTS[name].scheme is not None)
    assert legacy > 500  # a majority still on imported hashes


def test_sampled_segments_are_capped_and_small_populations_keep_them() -> None:
    counts = Population(10_000).counts
    assert counts["legacy-bcrypt-high"] == 2  # one account per setting (13, 14)
    assert counts["legacy-pbkdf2-modern"] == 5
    assert counts["legacy-argon2-modern"] == 2
    assert sum(counts.values()) == 10_000
    assert Population(100).counts["legacy-bcrypt-high"] == 2  # under the cap: its share


def test_counts_by_largest_remainder() -> None:
    assert segment_counts(7, {"a": 1, "b": 1, "c": 1}) == {"a": 3, "b": 2, "c": 2}
    assert segment_counts(3, {"a": 0, "b": 1}) == {"b": 3}
    assert segment_counts(60, resolve_shares()) == Population(60).counts  # no cap reached
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
        if scheme.startswith("pbkdf2"):
            _, iterations, salt, digest = stored.split("$")
            expected = hashlib.pbkdf2_hmac(
                "sha256", account.password.encode(), salt.encode(), int(iterations)
            )
            assert base64.b64decode(digest) == expected
            assert (int(iterations) >= 390_000) is (scheme == "pbkdf2-modern")
        elif scheme.startswith("argon2"):
            assert stored.startswith(LOW_ARGON2[scheme])
            assert argon2.PasswordHasher().verify(stored, account.password)
        else:
            prefix = "$2y$" if scheme == "bcrypt-2y" else "$2b$"
            assert stored.startswith(prefix + LOW_BCRYPT_COST.get(scheme, "04") + "$")
            as_2b = "$2b$" + stored[4:]
            assert bcrypt.checkpw(account.password.encode()[:72], as_2b.encode())
            assert not bcrypt.checkpw(account.wrong_password.encode()[:72], as_2b.encode())
    assert seen == set(get_args(Scheme))


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


def test_wide_segments_cover_every_setting_at_historical_costs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bound that refuses one real setting (bcrypt 14, 1,000,000 PBKDF2 iterations, Django's
    argon2id) must meet an account holding it: rank picks the setting, so a few cover all."""
    # The setting is written in the hash; the work itself need not be done here.
    monkeypatch.setattr(hashlib, "pbkdf2_hmac", lambda *_args: bytes(32))
    monkeypatch.setattr(bcrypt, "hashpw", lambda _pw, setting: setting + b"x" * 31)
    monkeypatch.setattr(
        "quality_gates.replay.legacy.low_level.hash_secret",
        lambda *_a, time_cost, memory_cost, parallelism, version, **_k: (
            f"$argon2id$v={version}$m={memory_cost},t={time_cost},p={parallelism}$s$h".encode()
        ),
    )
    population = Population(300, seed=0)
    hashes: dict[str, set[str]] = {name: set() for name in SEGMENTS}
    for account in population:
        if account.segment.scheme is not None:
            hashes[account.segment.name].add(account.stored_hash("historical")[:32])
    modern = {h.split("$")[1] for h in hashes["legacy-pbkdf2-modern"]}
    assert modern == {"390000", "600000", "720000", "870000", "1000000"}
    assert {h[4:6] for h in hashes["legacy-bcrypt-high"]} == {"13", "14"}
    assert {h[4:6] for h in hashes["legacy-bcrypt-12"]} == {"12"}
    assert {h.split("$")[2] for h in hashes["legacy-argon2-v16"]} == {"v=16"}
    argon2_modern = {h.split("$")[3] for h in hashes["legacy-argon2-modern"]}
    assert argon2_modern == {"m=65536,t=3,p=4", "m=102400,t=2,p=8"}


def test_email_shapes_each_appear_and_are_what_they_claim() -> None:
    accounts = [a for a in Population(1000, seed=4) if a.segment.name == "email-shapes"]
    assert len(accounts) >= len(SHAPES)
    assert {classify(a.email) for a in accounts} == set(SHAPES)
    for account in accounts:
        local, _, domain = account.email.rpartition("@")
        assert email_problem(account.email) is None  # what authsvc's rules accept
        assert len(local) <= MAX_LOCAL
        shape = classify(account.email)
        if shape == "max-local":
            assert len(local) == MAX_LOCAL
        if shape == "idn-punycode":
            assert idna.decode(domain) != domain  # a real IDN label, not just xn-- text
    assert len({canonical_email(a.email) for a in accounts}) == len(accounts)


def test_classify_names_real_shapes() -> None:
    assert classify("ada+news@example.com") == "plus-tag"
    assert classify("o'brien@example.ie") == "apostrophe"
    assert classify("ada@mail.example.com") == "subdomain"
    assert classify("ada-lovelace@example.co.uk") == "hyphen"
    assert classify("ada@example.app") == "new-tld"
    assert classify("ada@example.photography") == "long-tld"
    assert classify("ada@bücher.example") == "idn-unicode"
    assert classify("ada@xn--bcher-kva.example") == "idn-punycode"
    assert classify("1234567@example.com") == "digits"
    assert classify("a" * 64 + "@example.com") == "max-local"
    assert classify("Ada@Example.com") == "mixed-case"
    assert classify("jürgen@example.com") == "unicode"
    assert classify("ada.lovelace@example.com") == "plain"
    assert classify("no-at-sign") == "other"
