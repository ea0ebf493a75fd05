"""The repository: each rule that must hold under concurrency is enforced in SQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from authsvc.domain.credentials import HashUpgrade, LoginState, LoginWrites, UserRecord
from authsvc.domain.outcomes import EmailTaken
from authsvc.domain.records import RotateOutcome, SessionRecord
from authsvc.store.models import login_throttle, refresh_tokens, sessions
from authsvc.store.repository import Repository

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def _user(email: str = "a@example.com", **kw: object) -> UserRecord:
    return UserRecord(
        id=f"user-{email}",
        email_canonical=email,
        email_display=email.upper(),
        password_hash=str(kw.get("password_hash", "$argon2id$old")),
        disabled=bool(kw.get("disabled", False)),
        created_at=NOW,
    )


def _login(
    repo: Repository,
    session: SessionRecord,
    refresh: str,
    *,
    reset_streak: str | None,
    upgrade: HashUpgrade | None = None,
) -> bool:
    return repo.record_login(LoginWrites(session, refresh, upgrade, reset_streak))


def _session(repo: Repository, user: UserRecord, sid: str = "s1", refresh: str = "r1") -> None:
    session = SessionRecord(sid, user.id, NOW, NOW + timedelta(days=1), None)
    _login(repo, session, refresh, reset_streak=user.email_canonical)


def test_create_and_find(repo: Repository) -> None:
    """Round trip, with aware datetimes."""
    repo.create_user(_user())
    found = repo.find_user("a@example.com")
    assert found == _user()
    assert found is not None
    assert found.created_at.tzinfo is not None
    assert repo.find_user("b@example.com") is None


def test_duplicate_canonical_email(repo: Repository) -> None:
    """The UNIQUE constraint is the arbiter."""
    repo.create_user(_user())
    with pytest.raises(EmailTaken):
        repo.create_user(_user().__class__(**{**_user().__dict__, "id": "other"}))


def test_failures_count_and_lock_at_threshold(repo: Repository) -> None:
    """Counts 1..n; the lock appears exactly when the count reaches the threshold."""
    states = [
        repo.record_failure("x@example.com", NOW, threshold=3, window=WINDOW) for _ in range(4)
    ]
    assert [s.failures for s in states] == [1, 2, 3, 4]
    assert [s.locked_until for s in states] == [None, None, NOW + WINDOW, NOW + WINDOW]
    assert repo.login_state("x@example.com", NOW).locked_until == NOW + WINDOW
    assert repo.login_state("x@example.com", NOW + WINDOW).locked_until is None


def test_threshold_one_locks_on_first_failure(repo: Repository) -> None:
    """Even the inserting statement applies the threshold."""
    state = repo.record_failure("x@example.com", NOW, threshold=1, window=WINDOW)
    assert state.locked_until == NOW + WINDOW


def test_expired_lock_restarts_the_count(repo: Repository) -> None:
    """After the lock, counting starts again from one."""
    for _ in range(3):
        repo.record_failure("x@example.com", NOW, threshold=3, window=WINDOW)
    later = NOW + WINDOW + timedelta(seconds=1)
    state = repo.record_failure("x@example.com", later, threshold=3, window=WINDOW)
    assert (state.failures, state.locked_until) == (1, None)


def test_stale_streak_is_forgotten(repo: Repository) -> None:
    """Failures older than the window do not add up with new ones."""
    repo.record_failure("x@example.com", NOW, threshold=3, window=WINDOW)
    repo.record_failure("x@example.com", NOW, threshold=3, window=WINDOW)
    state = repo.record_failure("x@example.com", NOW + WINDOW, threshold=3, window=WINDOW)
    assert (state.failures, state.locked_until) == (1, None)


def test_parallel_failures_are_all_counted(repo: Repository) -> None:
    """50 threads, one increment each: the count is 50 and exactly one saw the threshold."""
    seen: list[int] = []
    lock = threading.Lock()

    def fail() -> None:
        state = repo.record_failure("x@example.com", NOW, threshold=5, window=WINDOW)
        with lock:
            seen.append(state.failures)

    threads = [threading.Thread(target=fail) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(1, 51))
    assert repo.login_state("x@example.com", NOW).locked_until == NOW + WINDOW


def test_success_does_not_clear_an_active_lock(repo: Repository) -> None:
    """A login verified just before the lock must not unlock the account."""
    user = _user()
    repo.create_user(user)
    for _ in range(5):
        repo.record_failure(user.email_canonical, NOW, threshold=5, window=WINDOW)
    _session(repo, user)
    assert repo.login_state(user.email_canonical, NOW).locked_until is not None


def test_success_clears_an_unlocked_streak(repo: Repository) -> None:
    """A success forgets earlier failures."""
    user = _user()
    repo.create_user(user)
    repo.record_failure(user.email_canonical, NOW, threshold=5, window=WINDOW)
    _session(repo, user)
    with repo.db.read() as conn:
        assert conn.execute(select(login_throttle)).first() is None


def test_upgrade_is_compare_and_set(repo: Repository) -> None:
    """The hash is replaced only if it is still the one that was verified."""
    user = _user()
    repo.create_user(user)
    upgraded = _login(
        repo,
        SessionRecord("s1", user.id, NOW, NOW + WINDOW, None),
        "r1",
        reset_streak=user.email_canonical,
        upgrade=HashUpgrade(user.id, "$argon2id$old", "$argon2id$new"),
    )
    assert upgraded
    stale = _login(
        repo,
        SessionRecord("s2", user.id, NOW, NOW + WINDOW, None),
        "r2",
        reset_streak=user.email_canonical,
        upgrade=HashUpgrade(user.id, "$argon2id$old", "$argon2id$newer"),
    )
    assert not stale
    found = repo.find_user(user.email_canonical)
    assert found is not None
    assert found.password_hash == "$argon2id$new"


def test_rotation_outcomes(repo: Repository) -> None:
    """Rotate once; reuse revokes; unknown tokens are not found."""
    user = _user()
    repo.create_user(user)
    _session(repo, user)
    rotated = repo.rotate_refresh("r1", "r2", NOW)
    assert rotated.outcome is RotateOutcome.ROTATED
    assert rotated.principal is not None
    assert rotated.principal.user.id == user.id
    assert repo.rotate_refresh("nope", "x", NOW).outcome is RotateOutcome.NOT_FOUND
    assert repo.rotate_refresh("r1", "r3", NOW).outcome is RotateOutcome.REUSED
    assert repo.rotate_refresh("r2", "r4", NOW).outcome is RotateOutcome.REVOKED
    principal = repo.principal("s1")
    assert principal is not None
    assert principal.session.revoked_at == NOW


def test_rotation_after_expiry_and_for_disabled_users(repo: Repository) -> None:
    """Past the absolute lifetime: expired. Disabled account: revoked."""
    user = _user()
    repo.create_user(user)
    _session(repo, user)
    assert repo.rotate_refresh("r1", "r2", NOW + timedelta(days=1)).outcome is RotateOutcome.EXPIRED
    disabled = _user("d@example.com", disabled=True)
    repo.create_user(disabled)
    _session(repo, disabled, sid="s2", refresh="d1")
    assert repo.rotate_refresh("d1", "d2", NOW).outcome is RotateOutcome.REVOKED


def test_parallel_rotation_has_one_winner(repo: Repository) -> None:
    """Ten threads with one token: at most one rotation succeeds."""
    user = _user()
    repo.create_user(user)
    _session(repo, user)
    outcomes: list[RotateOutcome] = []

    def rotate(i: int) -> None:
        outcomes.append(repo.rotate_refresh("r1", f"new-{i}", NOW).outcome)

    threads = [threading.Thread(target=rotate, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(RotateOutcome.ROTATED) <= 1
    with repo.db.read() as conn:
        assert conn.execute(select(sessions.c.revoked_at)).scalar() is not None


def test_change_password_revokes_and_compares(repo: Repository) -> None:
    """CAS on the hash; every session of the user is revoked."""
    user = _user()
    repo.create_user(user)
    _session(repo, user, "s1", "r1")
    _session(repo, user, "s2", "r2")
    assert not repo.change_password(user.id, old_hash="wrong", new_hash="n", now=NOW)
    assert repo.change_password(user.id, old_hash="$argon2id$old", new_hash="n", now=NOW)
    for sid in ("s1", "s2"):
        principal = repo.principal(sid)
        assert principal is not None
        assert principal.session.revoked_at == NOW


def test_revoke_session_once(repo: Repository) -> None:
    """Revoking twice reports the second as a no-op."""
    user = _user()
    repo.create_user(user)
    _session(repo, user)
    assert repo.revoke_session("s1", NOW, "logout")
    assert not repo.revoke_session("s1", NOW, "logout")
    assert repo.principal("missing") is None


def test_prune(repo: Repository) -> None:
    """Stale streaks and long-expired sessions (with their tokens) are deleted."""
    user = _user()
    repo.create_user(user)
    _session(repo, user)
    repo.record_failure("old@example.com", NOW, threshold=5, window=WINDOW)
    repo.record_failure("new@example.com", NOW + timedelta(days=9), threshold=5, window=WINDOW)
    deleted = repo.prune(
        NOW + timedelta(days=9), throttle_window=WINDOW, session_grace=timedelta(days=7)
    )
    assert deleted == 2
    with repo.db.read() as conn:
        assert conn.execute(select(login_throttle.c.email_canonical)).scalars().all() == [
            "new@example.com"
        ]
        assert conn.execute(select(refresh_tokens)).first() is None


def test_ping(repo: Repository) -> None:
    """The database answers."""
    repo.ping()


def _statements(repo: Repository) -> list[str]:
    """Every SQL statement ``repo`` sends from now on (appended as they run)."""
    sent: list[str] = []
    event.listen(repo.db.engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    return sent


def test_login_state_reads_account_streak_and_lock(repo: Repository) -> None:
    """Known or unknown address, with or without a streak, locked or not: one answer each."""
    user = _user()
    repo.create_user(user)
    email = user.email_canonical
    assert repo.login_state(email, NOW) == LoginState(user=user, locked_until=None, failures=0)
    repo.record_failure(email, NOW, threshold=2, window=WINDOW)
    assert repo.login_state(email, NOW) == LoginState(user=user, locked_until=None, failures=1)
    repo.record_failure(email, NOW, threshold=2, window=WINDOW)
    assert repo.login_state(email, NOW) == LoginState(user, locked_until=NOW + WINDOW, failures=2)
    # An expired lock is no lock, but its row is still a streak for a success to reset.
    assert repo.login_state(email, NOW + WINDOW) == LoginState(user, locked_until=None, failures=2)
    repo.record_failure("ghost@example.com", NOW, threshold=1, window=WINDOW)
    assert repo.login_state("ghost@example.com", NOW) == LoginState(None, NOW + WINDOW, 1)
    assert repo.login_state("nobody@example.com", NOW) == LoginState(None, None, 0)


def test_login_state_is_one_select(repo: Repository) -> None:
    """The account and the streak come from one statement, so from one snapshot."""
    repo.create_user(_user())
    repo.record_failure("a@example.com", NOW, threshold=5, window=WINDOW)
    sent = _statements(repo)
    assert repo.login_state("a@example.com", NOW).failures == 1
    assert len([statement for statement in sent if "SELECT" in statement.upper()]) == 1


def test_a_login_that_read_no_streak_does_not_reset(repo: Repository) -> None:
    """``reset_failures=False`` sends no DELETE; a failure recorded after the login read its
    state (concurrently with the verification) stays counted."""
    user = _user()
    repo.create_user(user)
    assert repo.login_state(user.email_canonical, NOW).failures == 0
    repo.record_failure(user.email_canonical, NOW, threshold=5, window=WINDOW)
    sent = _statements(repo)
    _login(repo, SessionRecord("s1", user.id, NOW, NOW + WINDOW, None), "r1", reset_streak=None)
    assert not [s for s in sent if s.lstrip().upper().startswith("DELETE")]
    assert repo.login_state(user.email_canonical, NOW).failures == 1
    assert repo.principal("s1") is not None


def test_a_login_that_read_a_streak_resets_what_is_there_at_write_time(
    repo: Repository,
) -> None:
    """The streak is deleted with everything added to it since the read, unless locked."""
    user = _user()
    repo.create_user(user)
    repo.record_failure(user.email_canonical, NOW, threshold=3, window=WINDOW)
    assert repo.login_state(user.email_canonical, NOW).failures == 1
    repo.record_failure(user.email_canonical, NOW, threshold=3, window=WINDOW)
    _session(repo, user)  # resets the streak of the user's address
    assert repo.login_state(user.email_canonical, NOW).failures == 0
