# ruff: noqa: S101 - pytest tests: a failed assert is the verdict, with its message
"""Credential verification: properties 01-09 (what counts as the right password)."""

from __future__ import annotations

import random
import secrets
import unicodedata
from typing import Literal

from quality_gates.conformance.client import TargetClient
from quality_gates.conformance.properties._support import (
    check_client_error,
    check_logged_in,
    check_refused,
    check_registered,
    claim,
    prop,
    skip,
)
from quality_gates.conformance.target import Target

Form = Literal["NFC", "NFD"]
# Fixed seed: the same mutations every run, so a verdict can be reproduced.
_RANDOM = random.Random(1304)  # noqa: S311 - test data, not secrets
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_.!é日"
#: Audited when the profile claims no minimum: NIST SP 800-63B 5.1.1.2 asks for at least 8.
NIST_MINIMUM = 8


def _mutations(password: str) -> list[str]:
    """One substitution, one insertion, one deletion: each a single-character change."""
    position = _RANDOM.randrange(len(password))
    other = next(c for c in _RANDOM.sample(_ALPHABET, len(_ALPHABET)) if c != password[position])
    return [
        password[:position] + other + password[position + 1 :],
        password[:position] + other + password[position:],
        password[:position] + password[position + 1 :],
    ]


def _max_length(target: Target) -> int:
    return target.profile.claims.max_password_length or 1024


@prop("01")
def test_correct_password_logs_in_and_one_change_fails(client: TargetClient) -> None:
    """The exact password logs in; a substituted, inserted or deleted character does not."""
    account = client.account()
    check_logged_in(client, client.login(account.email, account.password), "correct password")
    for mutated in _mutations(account.password):
        client.secret(mutated, "mutated-password")
        check_refused(client, client.login(account.email, mutated), "one-character change")


@prop("02")
def test_password_case_is_significant(client: TargetClient) -> None:
    """``Secret-Pass-…`` registered: its lower-, upper- and swapped-case forms fail."""
    account = client.account(password=f"Secret-Pass-{secrets.token_hex(4)}X")
    for variant in {
        account.password.lower(),
        account.password.upper(),
        account.password.swapcase(),
    }:
        client.secret(variant, "case-variant")
        check_refused(client, client.login(account.email, variant), "case variant")
    check_logged_in(client, client.login(account.email, account.password), "exact password")


@prop("03")
def test_no_truncation(client: TargetClient, target: Target) -> None:
    """A 100-character password: its first 72 and 64 characters are not enough."""
    length = min(100, _max_length(target))
    if length <= 72:
        skip(f"not applicable: claims.max_password_length is {length}")
    password = (f"Tr-{secrets.token_hex(60)}")[:length]
    account = client.account(password=password)
    for prefix in (72, 64):
        client.secret(password[:prefix], "prefix")
        check_refused(client, client.login(account.email, password[:prefix]), f"first {prefix}")
    check_logged_in(client, client.login(account.email, password), "whole password")


@prop("04")
def test_whitespace_is_significant(client: TargetClient) -> None:
    """``"  pass … word  "``: exact logs in; stripped or inner-space-less forms do not."""
    password = f"  pass {secrets.token_hex(4)} word  "
    account = client.account(password=password)
    check_logged_in(client, client.login(account.email, password), "exact password")
    for variant in (password.strip(), password.replace(" ", "")):
        client.secret(variant, "whitespace-variant")
        check_refused(client, client.login(account.email, variant), "whitespace changed")


@prop("05")
def test_unicode_passwords_round_trip(client: TargetClient, target: Target) -> None:
    """Emoji (as many as the minimum length), CJK with Arabic, and combining marks all work."""
    minimum = target.profile.claims.min_password_length or 8
    emoji = "".join(_RANDOM.choice("🔑🦄🌈🍀🚀🎉💡🔥🐍🌊") for _ in range(minimum))
    passwords = [
        emoji,
        f"密码安全{secrets.token_hex(2)}كلمة السر",
        f"e\u0301a\u0300o\u0302u\u0308-{secrets.token_hex(3)}",
    ]
    for password in passwords:
        account = client.account(password=password)
        check_logged_in(client, client.login(account.email, password), f"{password!r}")
    client.note(f"{len(passwords)} Unicode passwords registered and logged in")


@prop("06")
def test_nfc_and_nfd_are_the_same_password(client: TargetClient, target: Target) -> None:
    """Registered as NFC (``é``), the NFD form (``e`` + U+0301) logs in, and the reverse."""
    claim(target, "password_normalisation")
    base = f"Caf\u00e9-cr\u00e8me-{secrets.token_hex(3)}"
    forms: tuple[tuple[Form, Form], ...] = (("NFC", "NFD"), ("NFD", "NFC"))
    for registered, form in forms:
        account = client.account(password=unicodedata.normalize(registered, base))
        other = unicodedata.normalize(form, base)
        client.secret(other, "password")
        check_logged_in(client, client.login(account.email, other), f"{registered} → {form}")


@prop("07")
def test_long_passwords_are_accepted(client: TargetClient, target: Target) -> None:
    """64- and 128-character passwords register and log in."""
    for length in (64, 128):
        if length > _max_length(target):
            continue
        password = f"Lp-{secrets.token_hex(length)}"[:length]
        account = client.account(password=password)
        check_logged_in(client, client.login(account.email, password), f"{length} characters")


@prop("07")
def test_huge_passwords_are_refused_quickly(client: TargetClient, target: Target) -> None:
    """One over the claimed maximum is refused at registration; 1 MiB is refused in < 1 s."""
    maximum = claim(target, "max_password_length", default=0)  # unclaimed: the 1 MiB half only
    if maximum:
        response = client.register(
            client.new_email(), f"Hp-{secrets.token_hex(maximum)}"[: maximum + 1]
        )
        client.decide(response)
        check_client_error(response, f"registration with {maximum + 1} characters")
    account = client.account()
    huge = "x" * (1 << 20)
    client.secret(huge, "huge-password")
    response = client.login(account.email, huge)
    check_refused(client, response, "1 MiB password")
    elapsed = response.extensions["qg_exchange"].elapsed
    assert elapsed < 1.0, f"a 1 MiB password took {elapsed:.2f} s to refuse (hashed?)"


@prop("08")
def test_minimum_length_and_no_composition_rules(client: TargetClient, target: Target) -> None:
    """One under the minimum is refused; a 15-digit, digits-only password is accepted."""
    minimum = claim(target, "min_password_length", default=NIST_MINIMUM)
    short = secrets.token_hex(minimum)[: minimum - 1]
    response = client.register(client.new_email(), short)
    client.decide(response)
    check_client_error(response, f"{minimum - 1}-character password")
    digits = "".join(_RANDOM.choice("0123456789") for _ in range(max(15, minimum)))
    response = client.register(client.new_email(), digits)
    check_registered(client, response, "digits-only password")
    client.decide(response)


@prop("09")
def test_common_and_email_derived_passwords_are_refused(
    client: TargetClient, target: Target
) -> None:
    """``password``, ``12345678``, ``qwertyui`` and ``<local part>123`` are each refused."""
    claim(target, "password_blocklist")
    email = client.new_email("blocklist")
    local = email.partition("@")[0]
    for password in ("password", "12345678", "qwertyui", f"{local}123"):
        client.public(password)  # on every blocklist: masking it would hide the word everywhere
        response = client.register(email, password)
        client.decide(response)
        check_client_error(response, f"password {password!r}")
        assert response.content, f"password {password!r}: refused without a reason"
