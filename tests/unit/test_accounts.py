"""AccountService rules, without HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from authsvc.app import build_services
from authsvc.clock import ManualClock
from authsvc.deps import Services
from authsvc.domain.credentials import UserRecord
from authsvc.domain.outcomes import (
    CurrentPasswordRejected,
    EmailAlreadyRegistered,
    EmailTaken,
    InputRejected,
    LoginRefused,
    RateLimited,
)
from authsvc.security.hashing import make_pbkdf2_sha256
from tests.unit._helpers import metric_value

pytestmark = pytest.mark.anyio

PASSWORD = "a perfectly fine password"


def _metrics(services: Services) -> str:
    return services.metrics.render()[0].decode()


async def test_register_then_check(services: Services) -> None:
    """A registered account verifies with the same password."""
    user = await services.accounts.register(" Ada@Example.com ", PASSWORD)
    assert user.email_display == "Ada@Example.com"
    verified = await services.accounts.check_password("ada@example.com", PASSWORD)
    assert verified.user.id == user.id
    assert verified.upgrade is None
    assert verified.scheme == "argon2id"


async def test_register_collects_every_problem(services: Services) -> None:
    """E-mail and password problems are reported together."""
    with pytest.raises(InputRejected) as info:
        await services.accounts.register("nope", "short")
    assert info.value.problems == [("email", "email_invalid"), ("password", "password_too_short")]


async def test_register_race_is_decided_by_the_constraint(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If another request wins between the pre-check and the insert: duplicate."""

    def lost_race(_user: UserRecord) -> UserRecord:
        raise EmailTaken("a@example.com")

    monkeypatch.setattr(services.repo, "create_user", lost_race)
    with pytest.raises(EmailAlreadyRegistered):
        await services.accounts.register("a@example.com", PASSWORD)
    assert metric_value(_metrics(services), "authsvc_registrations_total", outcome="duplicate") == 1


@pytest.mark.parametrize(
    ("email", "password", "reason"),
    [
        ("not-an-email", PASSWORD, "invalid_email"),
        ("ghost@example.com", PASSWORD, "unknown_account"),
        ("a@example.com", "wrong password", "wrong_password"),
        ("a@example.com", "w" * 1025, "password_too_long"),
    ],
)
async def test_refusal_reasons(services: Services, email: str, password: str, reason: str) -> None:
    """Callers get one exception type; the reason code is for logs and metrics."""
    await services.accounts.register("a@example.com", PASSWORD)
    with pytest.raises(LoginRefused) as info:
        await services.accounts.check_password(email, password)
    assert info.value.reason == reason


async def test_invalid_emails_do_not_touch_the_throttle(services: Services) -> None:
    """No row is written for an address that cannot exist."""
    for _ in range(10):
        with pytest.raises(LoginRefused):
            await services.accounts.check_password("x" * 300, PASSWORD)
    assert services.repo.login_state("x" * 300, services.sessions._clock.now()).locked_until is None


@pytest.mark.parametrize(
    ("email", "password", "verifications"),
    [
        ("x" * 300, PASSWORD, 1),  # as costly as an account that might exist
        ("no-at-sign", PASSWORD, 1),
        ("x" * 300, "p" * 2000, 0),  # refused before hashing, as for any address
    ],
)
async def test_a_refused_address_costs_one_verification(
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    email: str,
    password: str,
    verifications: int,
) -> None:
    """An address that cannot exist is not answered faster than one that might (timing)."""
    calls: list[str] = []
    real = services.accounts._hasher.dummy_verify

    def counted(normalized: str) -> None:
        calls.append(normalized)
        real(normalized)

    monkeypatch.setattr(services.accounts._hasher, "dummy_verify", counted)
    with pytest.raises(LoginRefused) as info:
        await services.accounts.check_password(email, password)
    assert info.value.reason == "invalid_email"
    assert len(calls) == verifications


async def test_upgrade_failure_does_not_fail_the_login(
    services: Services, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If rehashing fails, the login still succeeds and the failure is counted."""
    legacy = make_pbkdf2_sha256(PASSWORD, iterations=1000)
    services.repo.create_user(
        UserRecord("u1", "l@example.com", "l@example.com", legacy, False, clock.now())
    )

    def broken_hash(_password: str) -> str:
        raise MemoryError

    monkeypatch.setattr(services.accounts._hasher, "hash", broken_hash)
    verified = await services.accounts.check_password("l@example.com", PASSWORD)
    assert verified.upgrade is None
    assert verified.scheme == "pbkdf2_sha256"
    upgrade_errors = metric_value(
        _metrics(services),
        "authsvc_hash_upgrades_total",
        from_scheme="pbkdf2_sha256",
        outcome="error",
    )
    assert upgrade_errors == 1


async def test_password_change_conflict(
    services: Services, monkeypatch: pytest.MonkeyPatch, clock: ManualClock
) -> None:
    """A concurrent change makes the compare-and-set fail: rejected, nothing written."""
    await services.accounts.register("a@example.com", PASSWORD)
    tokens = await services.sessions.login("a@example.com", PASSWORD, client="c")
    claims = services.sessions._tokens.decode_access(tokens.access_token)
    principal = services.repo.principal(claims.sid)
    assert principal is not None
    monkeypatch.setattr(services.repo, "change_password", lambda *_a, **_k: False)
    with pytest.raises(CurrentPasswordRejected) as info:
        await services.accounts.change_password(
            principal, PASSWORD, "another fine password", client="c"
        )
    assert info.value.reason == "concurrent_change"


async def test_password_change_is_rate_limited(make_settings: Any, clock: ManualClock) -> None:
    """The per-client limit applies to password changes too."""
    services = build_services(make_settings(client_rate_limit=1), clock)
    await services.accounts.register("a@example.com", PASSWORD)
    tokens = await services.sessions.login("a@example.com", PASSWORD, client="other")
    principal = services.repo.principal(
        services.sessions._tokens.decode_access(tokens.access_token).sid
    )
    assert principal is not None
    with pytest.raises(CurrentPasswordRejected):
        await services.accounts.change_password(
            principal, "wrong one", "another fine password", client="c"
        )
    with pytest.raises(RateLimited) as info:
        await services.accounts.change_password(
            principal, PASSWORD, "another fine password", client="c"
        )
    assert info.value.retry_after >= 1
    services.offload.shutdown()
    services.repo.db.dispose()


async def test_display_form_longer_than_the_column_is_refused(services: Services) -> None:
    """Decomposed accents shrink under NFKC: the typed form is checked on its own length."""
    typed = "e\u0301" * 160 + "@example.com"  # 332 code points typed, 172 canonical
    with pytest.raises(InputRejected) as info:
        await services.accounts.register(typed, PASSWORD)
    assert info.value.problems == [("email", "email_too_long")]
