"""The failure-counting upsert on both backends.

:meth:`Repository.record_failure` is hand-written SQL (SQLAlchemy 2.0 does not cache its
dialect upserts), so its rules are checked on SQLite *and* PostgreSQL here; the unit tests
run on SQLite only. A lock that ignored the window, or counted on through a lock, would let
an attacker more guesses or lock a user out for good on one backend and not the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from authsvc.store.db import Database as Store
from authsvc.store.db import make_engine
from authsvc.store.migrate import upgrade
from authsvc.store.repository import Repository
from tests.integration._servers import MakeDatabase

KINDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)
EMAIL = "streak@example.com"


@pytest.fixture(params=KINDS)
def repo(request: pytest.FixtureRequest, make_database: MakeDatabase) -> Iterator[Repository]:
    """A repository on a fresh, migrated database of each kind."""
    database = make_database(request.param)
    upgrade(database.url)
    store = Store(make_engine(database.url))
    yield Repository(store)
    store.dispose()


def _fail(repo: Repository, at: datetime, threshold: int = 3) -> tuple[int, datetime | None]:
    state = repo.record_failure(EMAIL, at, threshold=threshold, window=WINDOW)
    return state.failures, state.locked_until


def test_counts_locks_at_the_threshold_and_does_not_extend_the_lock(repo: Repository) -> None:
    """1, 2, 3 (locked for the window), 4 a minute later: still the first lock's end."""
    assert [_fail(repo, NOW) for _ in range(3)] == [
        (1, None),
        (2, None),
        (3, NOW + WINDOW),
    ]
    assert _fail(repo, NOW + timedelta(minutes=1)) == (4, NOW + WINDOW)
    assert repo.login_state(EMAIL, NOW + timedelta(minutes=1)).locked_until == NOW + WINDOW


def test_threshold_one_locks_on_the_first_failure(repo: Repository) -> None:
    """The inserting branch applies the threshold too."""
    assert _fail(repo, NOW, threshold=1) == (1, NOW + WINDOW)


def test_an_expired_lock_restarts_the_count(repo: Repository) -> None:
    """After the lock ends, counting starts again at one, with no lock."""
    for _ in range(3):
        _fail(repo, NOW)
    assert _fail(repo, NOW + WINDOW + timedelta(seconds=1)) == (1, None)


def test_a_stale_streak_restarts_and_a_fresh_one_adds_up(repo: Repository) -> None:
    """Failures a window apart do not add up; failures inside the window do."""
    _fail(repo, NOW)
    assert _fail(repo, NOW + timedelta(minutes=14)) == (2, None)
    assert _fail(repo, NOW + timedelta(minutes=14) + WINDOW) == (1, None)
