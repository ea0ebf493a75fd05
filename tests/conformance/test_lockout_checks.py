"""The lockout, race and ownership checks' own logic, on an in-process fake service.

Each defect switch must make its check fail with its message, and the clean service must pass:
so the checks are shown able to fail, and shown not to raise false alarms (a client-wide lock
is one finding, an empty password refused by validation is not a guess).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from quality_gates.conformance import grading
from quality_gates.conformance.client import TargetClient
from quality_gates.conformance.properties import _lockout
from quality_gates.conformance.properties.test_03_bruteforce import (
    test_empty_passwords_count_toward_the_lock as empty_passwords_count,
)
from quality_gates.conformance.properties.test_03_bruteforce import (
    test_failed_attempts_lock_the_account as attempts_lock,
)
from quality_gates.conformance.properties.test_10_ownership import (
    test_another_accounts_refresh_token_ends_nothing as foreign_refresh_token,
)
from quality_gates.conformance.properties.test_11_races import (
    test_concurrent_wrong_passwords_do_not_overshoot as overshoot,
)
from quality_gates.conformance.target import Target
from tests.conformance._fake_target import FakeService, client_of, fake_target

CLIENT_WIDE = "client-wide lockout"


def _check_not_run(check: Callable[[TargetClient, Target], None], target: Target) -> None:
    """``check`` stops before sending anything, graded not-run with the client-wide reason."""
    grading.reset()
    client = client_of(target)
    with pytest.raises(pytest.skip.Exception, match=CLIENT_WIDE):
        check(client, target)
    assert CLIENT_WIDE in grading.current().not_run
    assert not client.log.exchanges, "a not-run check sent requests"


def test_a_client_wide_lock_is_one_finding_and_the_rest_is_not_run() -> None:
    target = fake_target(FakeService(client_wide_lock=True, lock_status=403))
    with pytest.raises(AssertionError, match=CLIENT_WIDE) as finding:
        attempts_lock(client_of(target), target)
    assert "every login from this client refused after 3 failures" in str(finding.value)
    for check in (attempts_lock, overshoot, empty_passwords_count):
        _check_not_run(check, target)


def test_a_client_wide_lock_is_not_reported_as_overshoot() -> None:
    """Locked client-wide with a 403, every later answer differs from the lock answer 401."""
    target = fake_target(FakeService(client_wide_lock=True, lock_status=403))
    with pytest.raises(
        AssertionError, match=f"^every login .* after \\d+ failures: {CLIENT_WIDE}$"
    ):
        overshoot(client_of(target), target)
    _check_not_run(foreign_refresh_token, target)


def test_an_account_lock_lets_the_control_account_in() -> None:
    target = fake_target(FakeService())
    attempts_lock(client_of(target), target)
    _lockout.before_credentials(client_of(target), target)  # nothing tripped: no skip


def test_a_declared_client_scope_is_no_finding() -> None:
    target = fake_target(FakeService(client_wide_lock=True), scope="client")
    attempts_lock(client_of(target), target)
    with pytest.raises(pytest.skip.Exception, match="scope is client"):
        attempts_lock(client_of(target), target)


def test_a_declared_client_scope_without_reset_hook_stops_the_overshoot_rounds() -> None:
    """Each round locks the whole client: without a reset hook the next one cannot run."""
    target = fake_target(FakeService(client_wide_lock=True, lock_status=423), scope="client")
    with pytest.raises(pytest.skip.Exception, match="scope is client and the profile has no hooks"):
        overshoot(client_of(target), target)


def test_overshoot_counts_every_answer_that_is_not_the_lock_answer() -> None:
    racy = fake_target(FakeService(racy_lockout=True, lock_status=423), status=[423])
    with pytest.raises(
        AssertionError,
        match=r"^\d+/20 rounds: more than 3 of 5 simultaneous wrong passwords were checked, or",
    ):
        overshoot(client_of(racy), racy)
    atomic = fake_target(FakeService(lock_status=423), status=[423])
    overshoot(client_of(atomic), atomic)


def test_overshoot_is_blind_when_the_lock_answer_is_the_bad_credentials_answer() -> None:
    """Documented limit: with identical answers only the differing ones (5xx...) are counted."""
    racy = fake_target(FakeService(racy_lockout=True))
    overshoot(client_of(racy), racy)


def test_an_empty_password_refused_by_validation_is_not_a_guess() -> None:
    target = fake_target(FakeService(validates_empty_password=True))
    client = client_of(target)
    empty_passwords_count(client, target)
    assert "refused by input validation (400)" in client.log.render()


def test_empty_passwords_that_are_checked_must_lock() -> None:
    target = fake_target(FakeService())
    empty_passwords_count(client_of(target), target)


def test_logout_with_another_accounts_refresh_token() -> None:
    target = fake_target(FakeService(logout_revokes_any_token=True))
    with pytest.raises(AssertionError, match="the other account's access token is refused"):
        foreign_refresh_token(client_of(target), target)
    clean = fake_target(FakeService())
    foreign_refresh_token(client_of(clean), clean)
