# ruff: noqa: S101 - pytest tests: a failed assert is the verdict, with its message
"""Password storage: properties 21-23 (grey-box: they need the seed and stored-hash hooks)."""

from __future__ import annotations

import re

from quality_gates.conformance.client import TargetClient
from quality_gates.conformance.properties._support import (
    HASH_MARKERS,
    check_logged_in,
    check_refused,
    claim,
    hook,
    prop,
    seeded_account,
)
from quality_gates.conformance.target import Target

#: OWASP's argon2id minimum (CS-PwStore): m=19 MiB, t=2, p=1.
MIN_MEMORY_KIB, MIN_TIME, MIN_PARALLELISM = 19_456, 2, 1
_PHC = re.compile(
    r"\$argon2id\$v=(?P<v>\d+)\$m=(?P<m>\d+),t=(?P<t>\d+),p=(?P<p>\d+)\$(?P<salt>[^$]+)\$(?P<hash>[^$]+)\Z"
)


@prop("21")
def test_legacy_hash_is_upgraded_on_success(client: TargetClient, target: Target) -> None:
    """A seeded legacy hash logs in, is stored as argon2id afterwards, and logs in again."""
    claim(target, "legacy_hash_upgrade")
    account = seeded_account(client, target, "legacy-upgrade")
    check_logged_in(client, client.login(account.email, account.password), "legacy hash")
    if target.profile.hooks.stored_hash:
        hook(target, "stored_hash")
        stored = target.hooks.stored_hash(account.email)
        client.secret(stored, "stored-hash")
        client.note(f"stored after the login: {stored.split('$')[1]}")
        assert stored.startswith("$argon2id$"), "the legacy hash was not upgraded to argon2id"
    else:
        client.note("stored hash not read: the profile has no hooks.stored_hash")
    check_logged_in(client, client.login(account.email, account.password), "second login")


@prop("22")
def test_failed_login_never_rewrites_the_hash(client: TargetClient, target: Target) -> None:
    """A wrong password leaves the stored hash unchanged (a seeded legacy one when possible)."""
    hook(target, "stored_hash")
    if target.profile.hooks.seed_accounts:
        account = seeded_account(client, target, "legacy-unchanged")
    else:
        account = client.account()
    before = target.hooks.stored_hash(account.email)
    client.secret(before, "stored-hash")
    check_refused(client, client.login(account.email, client.new_password()), "wrong password")
    after = target.hooks.stored_hash(account.email)
    client.secret(after, "stored-hash")
    assert after == before, f"a failed login rewrote the stored hash of {account.email}"
    client.note("the stored hash is byte for byte the same after a wrong password")


@prop("23")
def test_argon2id_parameters_and_unique_salts(client: TargetClient, target: Target) -> None:
    """Two accounts, one password: argon2id at OWASP's minimum or more, different salts."""
    hook(target, "stored_hash")
    password = client.new_password()
    hashes = []
    for _ in range(2):
        stored = target.hooks.stored_hash(client.account(password=password).email)
        client.secret(stored, "stored-hash")
        hashes.append(stored)
    parsed = [_PHC.match(stored) for stored in hashes]
    first = parsed[0]
    assert first is not None, f"not an argon2id PHC string: {hashes[0].split('$')[1]!r}"
    m, t, p = int(first["m"]), int(first["t"]), int(first["p"])
    client.note(f"argon2id m={m} KiB, t={t}, p={p}")
    weak = m < MIN_MEMORY_KIB or t < MIN_TIME or p < MIN_PARALLELISM
    assert not weak, f"argon2id m={m}, t={t}, p={p} is under m={MIN_MEMORY_KIB}, t={MIN_TIME}, p=1"
    second = parsed[1]
    assert second is not None, f"not an argon2id PHC string: {hashes[1].split('$')[1]!r}"
    assert second["salt"] != first["salt"], "two accounts share a salt"


@prop("23")
def test_no_hash_in_any_response(client: TargetClient, target: Target) -> None:
    """No response seen so far in this run, nor ``me``, carries a password hash."""
    client.me(client.session(client.account()).access)
    for exchange in list(target.connection.seen):
        text = exchange.response_body + " ".join(v for _, v in exchange.response_headers)
        if HASH_MARKERS.search(text):
            index = client.log.record(exchange)
            client.log.decide(index)
            raise AssertionError(f"a response to {exchange.method} {exchange.url} holds a hash")
    client.note(f"{len(target.connection.seen)} responses scanned for password hashes")
