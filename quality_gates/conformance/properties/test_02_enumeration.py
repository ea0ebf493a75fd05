# ruff: noqa: S101 - pytest tests: a failed assert is the verdict, with its message
"""Identifiers and account enumeration: properties 10-14."""

from __future__ import annotations

import math
import random
import statistics

import httpx

from quality_gates.conformance.client import TargetClient
from quality_gates.conformance.properties._lockout import locked_account, unknown_with_history
from quality_gates.conformance.properties._support import (
    check_logged_in,
    check_refused,
    claim,
    disabled_account,
    prop,
    shape,
    skip,
)
from quality_gates.conformance.target import Target
from quality_gates.stats import compare_latencies

TIMING_SAMPLES = 30  # per path: the catalogue's minimum, and enough for the rank test
_RANDOM = random.Random(1313)  # noqa: S311 - sampling order, not secrets


@prop("10")
def test_identifier_case_and_spaces_are_ignored(client: TargetClient, target: Target) -> None:
    """Registered lower-case: the upper-case and space-padded addresses are the same user."""
    claim(target, "identifier_canonicalisation")
    account = client.account()
    reference = client.me(client.session(account).access).content
    for variant in (account.email.upper(), f"  {account.email} "):
        response = client.login(variant, account.password)
        check_logged_in(client, response, f"login as {variant!r}")
        me = client.me(client.tokens(response).access)
        client.decide(me)
        assert me.content == reference, f"login as {variant!r} reached another account"


@prop("11")
def test_disabled_account_cannot_log_in(client: TargetClient, target: Target) -> None:
    """A disabled account: the correct and a wrong password get the bad-credentials response."""
    account = disabled_account(client, target, "disabled-11")
    if account is None:
        skip("grey-box hook unavailable: needs hooks.seed_accounts or hooks.disable_account")
    correct = client.login(account.email, account.password)
    check_refused(client, correct, "disabled account, correct password")
    wrong = client.login(account.email, client.new_password())
    bad_credentials = client.login(client.account().email, client.new_password())
    client.decide(correct, bad_credentials)
    assert shape(correct) == shape(wrong) == shape(bad_credentials), (
        "a disabled account is refused differently from bad credentials"
    )


@prop("12")
def test_failures_are_identical(client: TargetClient, target: Target) -> None:
    """Unknown user, wrong password, locked and disabled accounts: one and the same refusal.

    A locked account is compared only with an unknown address given the same failures (a
    target may lock unknown addresses too, and then both get the lock answer).
    """
    claim(target, "hides_account_existence")
    unknown = ("unknown account", client.login(client.new_email("unknown"), client.new_password()))
    wrong = client.login(client.account().email, client.new_password())
    pairs: list[tuple[tuple[str, httpx.Response], tuple[str, httpx.Response]]] = [
        (unknown, ("wrong password", wrong))
    ]
    disabled = (
        disabled_account(client, target, "disabled-12") if _has_disable_hook(target) else None
    )
    if disabled is not None:
        pairs.append(
            (unknown, ("disabled account", client.login(disabled.email, disabled.password)))
        )
    if target.profile.claims.lockout is not None:
        locked = locked_account(client, target)
        twin = unknown_with_history(client, target)
        pairs.append(
            (
                ("locked account", client.login(locked.email, locked.password)),
                ("unknown address with the same failures", client.login(twin, locked.password)),
            )
        )
    for (reference_name, reference), (name, response) in pairs:
        for what, answer in ((reference_name, reference), (name, response)):
            check_refused(client, answer, what)
        if shape(response) != shape(reference):
            client.decide(reference, response)
            raise AssertionError(f"{name!r} is refused differently from {reference_name!r}")
    client.note("identical refusals: " + ", ".join(name for pair in pairs for name, _ in pair))


def _has_disable_hook(target: Target) -> bool:
    hooks = target.profile.hooks
    return bool(hooks.seed_accounts or hooks.disable_account)


def _cheap_request(client: TargetClient) -> float:
    """A login request the target refuses before any hashing (no password field)."""
    response = client.call("login", {"email": client.new_email("cheap")})
    return float(response.extensions["qg_exchange"].elapsed)


@prop("13")
def test_timing_does_not_reveal_existence(client: TargetClient, target: Target) -> None:
    """Wrong password vs unknown user, 30 interleaved samples each: no measurable difference.

    Decided by ``stats.compare_latencies`` (two-sided Mann-Whitney U at 1%, and a median gap
    over 20% of one KDF run). The KDF time is estimated as the known-user median minus the
    median of requests refused before hashing. Known accounts take fewer wrong passwords than
    the lockout threshold, so the lock never changes the path measured.
    """
    claim(target, "hides_account_existence")
    lockout = target.profile.claims.lockout
    per_account = lockout.threshold - 1 if lockout is not None else TIMING_SAMPLES
    if per_account < 1:
        skip("not applicable: a lockout threshold of 1 leaves no wrong password to time")
    accounts = [client.account() for _ in range(math.ceil(TIMING_SAMPLES / per_account))]
    known: list[float] = []
    unknown: list[float] = []
    cheap: list[float] = []
    wrong = client.new_password()
    for index in range(TIMING_SAMPLES):
        account = accounts[index // per_account]
        order = [(known, account.email), (unknown, client.new_email("unknown"))]
        _RANDOM.shuffle(order)  # neither path always goes first
        for sample, email in order:
            response = client.login(email, wrong)
            sample.append(float(response.extensions["qg_exchange"].elapsed))
        if index % 2 == 0:
            cheap.append(_cheap_request(client))
    kdf = max(statistics.median(known) - statistics.median(cheap), 0.0)
    verdict = compare_latencies(known, unknown, kdf_seconds=kdf)
    client.note(
        f"median wrong password {verdict.median_a * 1000:.1f} ms, unknown user "
        f"{verdict.median_b * 1000:.1f} ms, "
        f"no-hash refusal {statistics.median(cheap) * 1000:.1f} ms; "
        f"KDF ~{kdf * 1000:.1f} ms, tolerance {verdict.tolerance * 1000:.1f} ms; "
        f"Mann-Whitney p={verdict.p_value:.4f} (n={TIMING_SAMPLES} each)"
    )
    assert not verdict.leaks, (
        f"unknown-user logins take {-verdict.difference * 1000:+.1f} ms against wrong passwords "
        f"(p={verdict.p_value:.4f}): timing reveals whether an account exists"
    )


@prop("14")
def test_duplicate_registration_is_generic(client: TargetClient, target: Target) -> None:
    """Registering an existing address gets the same success as a new one."""
    claim(target, "registration_hides_existence")
    account = client.account()
    duplicate = client.register(account.email, client.new_password())
    fresh = client.register(client.new_email(), client.new_password())
    client.decide(duplicate, fresh)
    assert duplicate.status_code == fresh.status_code, (
        f"a duplicate registration gets {duplicate.status_code}, a new one {fresh.status_code}"
    )
