"""Per-account lockout properties: counting, reset by success, expiry, and its key.

Settings: a lock after ``LOCKOUT_THRESHOLD`` consecutive failures, for
``LOCKOUT_WINDOW`` seconds; a streak also ends when its last failure is a window old.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.property._budget import examples
from tests.property._service import LOCKOUT_THRESHOLD, LOCKOUT_WINDOW, START, InProcessService
from tests.property.test_accounts_http import assert_refused
from tests.strategies import clock_advances, credentials, email_spellings, password_mutations


def fail(service: InProcessService, email: str, password: str, times: int) -> None:
    """Make ``times`` wrong-password attempts, each refused."""
    for attempt in range(times):
        assert_refused(service.login(email, f"{password}\u00b7{attempt}"))


@settings(max_examples=examples(20))
@given(credentials(), st.integers(0, LOCKOUT_THRESHOLD + 2))
def test_failures_below_the_threshold_never_lock(
    service: InProcessService, pair: tuple[str, str], failures: int
) -> None:
    """Fewer failures than the threshold: the right password works. At the threshold:
    even the right password gets the generic 401, byte for byte the wrong-password one."""
    service.reset()
    email, password = pair
    assert service.register(email, password).status_code == 201
    # The reference refusal comes from another address, so it counts nothing here.
    reference = service.login("someone.else@example.org", password)
    fail(service, email, password, failures)
    response = service.login(email, password)
    if failures < LOCKOUT_THRESHOLD:
        assert response.status_code == 200, (failures, response.text)
    else:
        assert_refused(response)
        assert response.content == reference.content


@settings(max_examples=examples(20))
@given(credentials(), st.lists(st.integers(0, LOCKOUT_THRESHOLD - 1), min_size=1, max_size=4))
def test_a_success_resets_the_count(
    service: InProcessService, pair: tuple[str, str], streaks: list[int]
) -> None:
    """Streaks each shorter than the threshold, separated by successes, never lock,
    however many failures they add up to."""
    service.reset()
    email, password = pair
    assert service.register(email, password).status_code == 201
    for streak in streaks:
        fail(service, email, password, streak)
        assert service.login(email, password).status_code == 200, streaks


@settings(max_examples=examples(20))
@given(credentials(), clock_advances([LOCKOUT_WINDOW]), st.integers(0, 3))
def test_the_lock_expires_after_the_window_and_is_not_extended(
    service: InProcessService, pair: tuple[str, str], advance: float, during: int
) -> None:
    """Locked at T, the account opens at T + window exactly; attempts made during the
    lock (``during`` of them, even with the right password) do not extend it."""
    service.reset()
    email, password = pair
    assert service.register(email, password).status_code == 201
    fail(service, email, password, LOCKOUT_THRESHOLD)
    locked_at = service.clock.now()
    # Refused attempts while locked, part-way through the window.
    service.clock.advance(min(advance, LOCKOUT_WINDOW) / 2)
    for _ in range(during):
        assert_refused(service.login(email, password))
    service.clock.set(locked_at)
    service.clock.advance(advance)
    response = service.login(email, password)
    if (service.clock.now() - locked_at).total_seconds() >= LOCKOUT_WINDOW:
        assert response.status_code == 200, (advance, response.text)
    else:
        assert_refused(response)


@settings(max_examples=examples(15))
@given(credentials(), clock_advances([LOCKOUT_WINDOW]))
def test_old_failures_do_not_count_toward_a_new_streak(
    service: InProcessService, pair: tuple[str, str], gap: float
) -> None:
    """threshold-1 failures, a pause of ``gap``, one more failure: locked only if the
    pause was shorter than the window."""
    service.reset()
    email, password = pair
    assert service.register(email, password).status_code == 201
    fail(service, email, password, LOCKOUT_THRESHOLD - 1)
    service.clock.advance(gap)
    elapsed = (service.clock.now() - START).total_seconds()
    fail(service, email, password, 1)
    response = service.login(email, password)
    if elapsed >= LOCKOUT_WINDOW:
        assert response.status_code == 200, (gap, response.text)
    else:
        assert_refused(response)


@settings(max_examples=examples(15))
@given(st.data())
def test_the_lock_is_keyed_by_the_canonical_address(
    service: InProcessService, data: st.DataObject
) -> None:
    """Changing case, width or padding between attempts does not dodge the lock, and
    the lock holds for every spelling."""
    service.reset()
    email, password = data.draw(credentials(), label="credentials")
    assert service.register(email, password).status_code == 201
    for attempt in range(LOCKOUT_THRESHOLD):
        spelling = data.draw(email_spellings(email), label=f"spelling {attempt}")
        wrong = data.draw(password_mutations(password), label=f"wrong {attempt}")
        assert_refused(service.login(spelling, wrong))
    assert_refused(service.login(data.draw(email_spellings(email), label="final"), password))
    assert_refused(service.login(email, password))


@settings(max_examples=examples(10))
@given(credentials())
def test_unknown_accounts_lock_like_known_ones(
    service: InProcessService, pair: tuple[str, str]
) -> None:
    """An address with no account answers exactly like a locked one at every step, so
    the lock does not reveal which addresses exist; registering it starts afresh."""
    service.reset()
    email, password = pair
    answers = [service.login(email, password).content for _ in range(LOCKOUT_THRESHOLD + 1)]
    assert len(set(answers)) == 1
    # Registration forgets the streak of an address that had no account.
    assert service.register(email, password).status_code == 201
    assert service.login(email, password).status_code == 200
