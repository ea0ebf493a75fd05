"""Races and shared state on the real service: lockout across workers, concurrent requests.

State that must hold across workers (failure counters, locks, uniqueness) lives in the
database; these tests break it if it does not, by spreading requests over every worker and
by firing them at the same instant.
"""

from __future__ import annotations

import httpx

from tests.integration._client import AuthClient, in_parallel, new_password, unique_email
from tests.integration._servers import LiveServer

PARALLEL_REGISTRATIONS = 20
PARALLEL_FAILURES = 50


def throttle_row(service: LiveServer, canonical_email: str) -> tuple[int, object] | None:
    """``(failures, locked_until)`` for an address, read from the database directly."""
    rows = service.database.fetch_all(
        "SELECT failures, locked_until FROM login_throttle WHERE email_canonical = :email",
        {"email": canonical_email},
    )
    return (int(rows[0][0]), rows[0][1]) if rows else None


def problem(response: httpx.Response) -> tuple[int, str, dict[str, object]]:
    """What a generic failure must keep identical: status, content type and body.

    Keys that differ per request by design (a request id or instance URI) are dropped.
    """
    body = {k: v for k, v in response.json().items() if k not in {"instance", "request_id"}}
    return response.status_code, response.headers.get("content-type", ""), body


def test_lockout_holds_across_workers(
    service: LiveServer,
    client: AuthClient,
    per_worker: dict[int, AuthClient],
    lockout_threshold: int,
) -> None:
    """Failures spread over the workers add up to one lock, and every worker enforces it."""
    email, password = unique_email("lockout"), new_password()
    assert client.register(email, password).status_code == 201
    workers = list(per_worker.values())
    # The reference failure comes from another address, so exactly `threshold` failures
    # (spread over the workers) are what must lock this one.
    generic = client.login(unique_email("nobody"), password)
    assert generic.status_code == 401

    for attempt in range(lockout_threshold):
        response = workers[attempt % len(workers)].login(email, f"wrong-{attempt}")
        assert response.status_code == 401, response.text

    for worker, pinned in per_worker.items():
        locked = pinned.login(email, password)
        assert locked.status_code == 401, f"worker {worker} let a locked account in"
        assert problem(locked) == problem(generic), "a lock must look like bad credentials"
    row = throttle_row(service, email)
    assert row is not None
    assert row[0] >= lockout_threshold
    assert row[1] is not None


def test_success_resets_the_failure_count(
    client: AuthClient, per_worker: dict[int, AuthClient], lockout_threshold: int
) -> None:
    """threshold-1 failures, a success, threshold-1 failures again: still not locked."""
    email, password = unique_email("reset"), new_password()
    assert client.register(email, password).status_code == 201
    workers = list(per_worker.values())
    for round_ in range(2):
        for attempt in range(lockout_threshold - 1):
            pinned = workers[(round_ + attempt) % len(workers)]
            assert pinned.login(email, "wrong-password").status_code == 401
        assert workers[round_ % len(workers)].login(email, password).status_code == 200


def test_parallel_registrations_of_one_address_make_one_account(service: LiveServer) -> None:
    """20 simultaneous registrations of one address (in several spellings): exactly one 201."""
    email = unique_email("race")
    spellings = [email, email.upper(), f" {email} ", email.title()]

    def register(client: AuthClient, index: int) -> int:
        return client.register(spellings[index % len(spellings)], new_password()).status_code

    statuses = in_parallel(service.base_url, PARALLEL_REGISTRATIONS, register)
    assert statuses.count(201) == 1, statuses
    assert sorted(set(statuses) - {201}) == [409], statuses
    rows = service.database.fetch_all(
        "SELECT count(*) FROM users WHERE email_canonical = :email", {"email": email}
    )
    assert rows == [(1,)]


def test_parallel_wrong_passwords_lock_the_account(
    service: LiveServer, client: AuthClient, lockout_threshold: int
) -> None:
    """50 simultaneous wrong passwords: all refused, none lost, and the account ends locked.

    Lost updates (every request reading the same count) or a counter that jumps past the
    threshold without tripping it would leave the account open to the right password.
    """
    email, password = unique_email("flood"), new_password()
    assert client.register(email, password).status_code == 201

    def fail(auth_client: AuthClient, index: int) -> int:
        return auth_client.login(email, f"wrong-{index}").status_code

    statuses = in_parallel(service.base_url, PARALLEL_FAILURES, fail)
    assert statuses == [401] * PARALLEL_FAILURES, statuses
    row = throttle_row(service, email)
    assert row is not None
    assert row[0] >= lockout_threshold, row
    assert row[1] is not None, "threshold crossed but no lock recorded"
    assert client.login(email, password).status_code == 401
