# ruff: noqa: S101 - pytest tests: a failed assert is the verdict, with its message
"""Brute-force protection: properties 15, 17, 18 and 20 (the concurrent half of 53 is in
``test_11_races``).

Every test uses the fewest requests that prove its point: ``threshold`` failures lock an
account, so ``threshold`` wrong passwords and one correct one decide property 15. Each test that
sends wrong passwords logs the control account in afterwards (``_lockout``), so a client-wide
lock is one finding, not a failure of every later test.
"""

from __future__ import annotations

from quality_gates.conformance.client import TargetClient
from quality_gates.conformance.properties._lockout import (
    after_credentials,
    before_credentials,
    locked_account,
)
from quality_gates.conformance.properties._support import (
    check_logged_in,
    check_refused,
    claim,
    hook,
    prop,
    refused,
    shape,
    skip,
)
from quality_gates.conformance.target import Target

PERMANENT_PROBE_SECONDS = 86_400


@prop("15")
def test_failed_attempts_lock_the_account(client: TargetClient, target: Target) -> None:
    """``threshold`` wrong passwords, then the correct one: refused."""
    lockout = claim(target, "lockout")
    account = locked_account(client, target)
    response = client.login(account.email, account.password)
    client.note(f"{lockout.threshold} wrong passwords, then the correct one")
    check_refused(client, response, "correct password after the threshold")


@prop("17")
def test_locked_account_looks_like_wrong_credentials(client: TargetClient, target: Target) -> None:
    """During the lock the correct password gets exactly the wrong-password response: that of a
    wrong password on the same locked account, and that of bad credentials on a fresh one."""
    lockout = claim(target, "lockout")
    if not lockout.matches_bad_credentials:
        skip(
            "not claimed: claims.lockout.matches_bad_credentials is false in the "
            f"{target.profile.name} profile (its lock answer is {list(lockout.status)})"
        )
    account = locked_account(client, target)
    locked = client.login(account.email, account.password)
    locked_wrong = client.login(account.email, client.new_password())
    wrong = client.login(client.account().email, client.new_password())
    client.decide(locked, wrong)
    check_refused(client, locked, "correct password during the lock")
    assert shape(locked) == shape(locked_wrong), (
        "during the lock the correct password is refused differently from a wrong one"
    )
    assert shape(locked) == shape(wrong), "a locked account is refused differently"


@prop("18")
def test_success_resets_the_failure_count(client: TargetClient, target: Target) -> None:
    """``threshold - 1`` failures, a success, ``threshold - 1`` failures: still no lock."""
    lockout = claim(target, "lockout")
    before_credentials(client, target)
    account = client.account()
    for _round in range(2):
        for _ in range(lockout.threshold - 1):
            client.login(account.email, client.new_password())
        response = client.login(account.email, account.password)
        if refused(client, response):  # a client-wide lock is its own finding
            after_credentials(client, target, locked=account.email)
        check_logged_in(client, response, "correct password below the threshold")
    client.decide(response)


@prop("18")
def test_lock_expires(client: TargetClient, target: Target) -> None:
    """Locked, then the target's clock moves past the lock: the correct password works.

    A permanent lock is checked the other way round: a day later it still holds.
    """
    lockout = claim(target, "lockout")
    hook(target, "clock_offset_file")
    account = locked_account(client, target)
    check_refused(client, client.login(account.email, account.password), "during the lock")
    permanent = lockout.lock_seconds is None
    ahead = PERMANENT_PROBE_SECONDS if permanent else lockout.lock_seconds + 5
    with target.hooks.clock_moved() as clock:
        clock.set(ahead)
        response = client.login(account.email, account.password)
        client.note(f"clock moved {ahead} s ahead")
        if permanent:
            check_refused(client, response, "a day into a permanent lock")
        else:
            check_logged_in(client, response, "after the lock")
    client.decide(response)


@prop("20")
def test_empty_or_missing_password_never_logs_in(client: TargetClient, target: Target) -> None:
    """An empty password and a body without a password are refused."""
    before_credentials(client, target)
    account = client.account()
    check_refused(client, client.login(account.email, ""), "empty password")
    response = client.call("login", {"email": account.email})
    check_refused(client, response, "no password field")


@prop("20")
def test_empty_passwords_count_toward_the_lock(client: TargetClient, target: Target) -> None:
    """``threshold`` empty passwords lock the account like wrong ones.

    A target may refuse an empty password by input validation, before any credential check
    (a 4xx that is neither the bad-credentials nor the lock answer): that is not a guess, so
    there is nothing to count and the property holds.
    """
    lockout = claim(target, "lockout")
    before_credentials(client, target)
    account = client.account()
    probe = client.login(client.account().email, client.new_password())
    refusals = {probe.status_code, *lockout.status}  # the answers of a credential check
    first = client.login(account.email, "")
    if 400 <= first.status_code < 500 and first.status_code not in refusals:
        client.decide(first)
        client.note(f"an empty password is refused by input validation ({first.status_code})")
        return
    for _ in range(lockout.threshold - 1):
        client.login(account.email, "")
    response = client.login(account.email, account.password)
    check_refused(client, response, "after empty passwords")
    after_credentials(client, target, locked=account.email)
