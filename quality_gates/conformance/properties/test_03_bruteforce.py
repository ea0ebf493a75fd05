# ruff: noqa: S101 - pytest tests: a failed assert is the verdict, with its message
"""Brute-force protection: properties 15, 17, 18, 20 and the lockout half of 53.

Every test uses the fewest requests that prove its point: ``threshold`` failures lock an
account, so ``threshold`` wrong passwords and one correct one decide property 15.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from quality_gates.conformance.client import TargetClient
from quality_gates.conformance.properties._support import (
    check_logged_in,
    check_refused,
    claim,
    hook,
    locked_account,
    prop,
    shape,
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
    """During the lock the correct password gets exactly the wrong-password response."""
    account = locked_account(client, target)
    locked = client.login(account.email, account.password)
    wrong = client.login(client.account().email, client.new_password())
    client.decide(locked, wrong)
    check_refused(client, locked, "correct password during the lock")
    assert shape(locked) == shape(wrong), "a locked account is refused differently"


@prop("18")
def test_success_resets_the_failure_count(client: TargetClient, target: Target) -> None:
    """``threshold - 1`` failures, a success, ``threshold - 1`` failures: still no lock."""
    lockout = claim(target, "lockout")
    account = client.account()
    for _round in range(2):
        for _ in range(lockout.threshold - 1):
            client.login(account.email, client.new_password())
        response = client.login(account.email, account.password)
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
def test_empty_or_missing_password_never_logs_in(client: TargetClient) -> None:
    """An empty password and a body without a password are refused."""
    account = client.account()
    check_refused(client, client.login(account.email, ""), "empty password")
    response = client.call("login", {"email": account.email})
    check_refused(client, response, "no password field")


@prop("20")
def test_empty_passwords_count_toward_the_lock(client: TargetClient, target: Target) -> None:
    """``threshold`` empty passwords lock the account like wrong ones."""
    lockout = claim(target, "lockout")
    account = client.account()
    for _ in range(lockout.threshold):
        client.login(account.email, "")
    check_refused(client, client.login(account.email, account.password), "after empty passwords")


@prop("53")
def test_parallel_failures_still_lock(client: TargetClient, target: Target) -> None:
    """Twice ``threshold`` wrong passwords at once, then the correct one: refused."""
    lockout = claim(target, "lockout")
    account = client.account()
    wrong = client.new_password()
    with ThreadPoolExecutor(max_workers=min(2 * lockout.threshold, 16)) as pool:
        list(pool.map(lambda _: client.login(account.email, wrong), range(2 * lockout.threshold)))
    response = client.login(account.email, account.password)
    client.note(f"{2 * lockout.threshold} parallel wrong passwords, then the correct one")
    check_refused(client, response, "correct password after parallel failures")
