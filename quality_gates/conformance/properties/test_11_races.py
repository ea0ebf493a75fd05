# ruff: noqa: S101 - pytest tests: a failed assert is the verdict, with its message
"""Concurrency as repeated trials: properties 52 and 53 (see ``quality_gates.conformance.races``).

Each check runs ``[races] trials`` rounds (20 by default) of ``[races] parties`` simultaneous
requests released by a barrier, and fails when any round shows the defect, saying in how many.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import httpx

from quality_gates.conformance.client import TargetClient
from quality_gates.conformance.properties._lockout import (
    after_credentials,
    before_credentials,
    is_lock_answer,
    lock_statuses,
)
from quality_gates.conformance.properties._support import (
    claim,
    endpoint,
    prop,
    refused,
    skip,
)
from quality_gates.conformance.races import Tally, race
from quality_gates.conformance.target import Target

#: Wrong passwords sent at once beyond the threshold: enough that an unguarded counter
#: visibly overshoots, few enough to stay far below a per-client rate limit.
OVERSHOOT_EXTRA = 2


def _finish(client: TargetClient, tally: Tally, decisive: list[httpx.Response]) -> None:
    client.decide(*decisive)
    client.note(tally.summary())
    assert not tally.failed, tally.verdict()


@prop("53")
def test_simultaneous_refreshes_redeem_a_token_once(client: TargetClient, target: Target) -> None:
    """One refresh token sent by ``parties`` requests at once: at most one succeeds, no 5xx."""
    claim(target, "refresh_rotation")
    endpoint(target, "refresh")
    before_credentials(client, target)
    races = target.profile.races
    account = client.account()
    tally = Tally(f"more than one of {races.parties} simultaneous refreshes succeeded, or a 5xx")
    decisive: list[httpx.Response] = []
    for _ in range(races.trials):
        pair = client.session(account)
        if pair.refresh is None:
            skip("not applicable: the login response holds no refresh token")
        responses = race([partial(client.refresh, pair.refresh)] * races.parties)
        wins = [r for r in responses if client.ok("refresh", r)]
        errors = [r for r in responses if r.status_code >= 500]
        problem = None
        if len(wins) > 1:
            alive = sum(
                client.ok("refresh", client.refresh(client.tokens(w).refresh)) for w in wins
            )
            problem = f"{len(wins)} refreshes succeeded, {alive} of their successors still work"
        elif errors:
            problem = f"a refresh got {errors[0].status_code}"
        if problem and not decisive:
            decisive = (wins if len(wins) > 1 else errors)[:2]
        tally.record(problem)
    _finish(client, tally, decisive)


@prop("53")
def test_concurrent_wrong_passwords_do_not_overshoot(client: TargetClient, target: Target) -> None:
    """``threshold + 2`` wrong passwords at once: no more than ``threshold + slack`` checked.

    A guess counts as checked when its answer is not the lock answer, 5xx included (a crash
    while checking is still a check). When the lock answer is the bad-credentials answer, only
    answers that differ from it show, so the count is a lower bound. After each burst the
    correct password must be refused.
    """
    lockout = claim(target, "lockout")
    races = target.profile.races
    before_credentials(client, target)
    statuses = lock_statuses(client, target)
    limit = lockout.threshold + lockout.slack
    burst = lockout.threshold + OVERSHOOT_EXTRA
    tally = Tally(
        f"more than {limit} of {burst} simultaneous wrong passwords were checked, "
        "or the correct password logged in after them"
    )
    decisive: list[httpx.Response] = []
    client_scoped = lockout.scope == "client"  # each round locks the client: reset in between
    for _ in range(races.trials):
        before_credentials(client, target)
        account = client.account(tag="burst")
        wrong = client.new_password()
        responses = race([partial(client.login, account.email, wrong)] * burst)
        checked = [r for r in responses if not is_lock_answer(client, r, statuses)]
        after = client.login(account.email, account.password)
        if client_scoped or len(checked) > limit:
            # A client-wide lock makes every later answer differ from the lock answer: that is
            # its own finding (raised here), not an overshoot.
            after_credentials(client, target, locked=account.email)
        problem = None
        if len(checked) > limit:
            kinds = sorted({r.status_code for r in checked})
            problem = f"{len(checked)} checked (statuses {kinds}) against a threshold of {limit}"
            decisive = decisive or checked[limit:][:2]
        elif not refused(client, after):
            problem = "the correct password logged in after the burst"
            decisive = decisive or [after]
        tally.record(problem)
    after_credentials(client, target, locked=account.email)
    _finish(client, tally, decisive)


def _registrations(
    client: TargetClient, target: Target, addresses: Callable[[str], list[str]], what: str
) -> None:
    """Rounds of simultaneous registrations of ``addresses(email)``: one account, no 5xx.

    Accounts are counted from the successes, or - when the target answers a duplicate like a new
    registration (``registration_hides_existence``) - by logging in as each party.
    """
    races = target.profile.races
    hides = target.profile.claims.registration_hides_existence
    if hides:
        before_credentials(client, target)
    tally = Tally(f"{what}: a 5xx, or more than one account")
    decisive: list[httpx.Response] = []
    for _ in range(races.trials):
        variants = addresses(client.new_email("race"))
        passwords = [client.new_password() for _ in variants]
        parties = list(zip(variants, passwords, strict=True))
        responses = race([partial(client.register, a, p) for a, p in parties])
        errors = [r for r in responses if r.status_code >= 500]
        wins = [r for r in responses if client.ok("register", r)]
        accounts = len(wins)
        if hides and not errors:
            logins = [client.login(a, p) for a, p in parties]
            accounts = sum(not refused(client, r) for r in logins)
        problem = None
        if errors:
            problem = f"{len(errors)} of {len(responses)} got {errors[0].status_code}"
            decisive = decisive or errors[:1]
        elif accounts > 1:
            problem = f"{accounts} accounts for {sorted(set(variants))}"
            decisive = decisive or wins[:2]
        tally.record(problem)
    _finish(client, tally, decisive)


@prop("52")
def test_simultaneous_registrations_make_one_account(client: TargetClient, target: Target) -> None:
    """``parties`` simultaneous registrations of one address: one account, no 5xx."""
    parties = target.profile.races.parties
    _registrations(client, target, lambda email: [email] * parties, "one address")


@prop("52")
def test_simultaneous_case_variants_make_one_account(client: TargetClient, target: Target) -> None:
    """The same address in different letter cases, registered at once: one account, no 5xx."""
    claim(target, "identifier_canonicalisation")
    parties = target.profile.races.parties

    def variants(email: str) -> list[str]:
        local, _, domain = email.partition("@")
        forms = [email, email.upper(), f"{local.capitalize()}@{domain}"]
        forms.append(f"{local}@{domain.upper()}")
        return [forms[i % len(forms)] for i in range(parties)]

    _registrations(client, target, variants, "case variants of one address")
