"""SessionService rules, without HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from authsvc.app import build_services
from authsvc.clock import ManualClock
from authsvc.deps import Services
from authsvc.domain.outcomes import LoginRefused, RefreshRefused, Unauthenticated
from authsvc.security.hashing import VerifyResult
from tests.unit._helpers import metric_value

pytestmark = pytest.mark.anyio

PASSWORD = "a perfectly fine password"


async def test_login_refresh_authenticate_logout(services: Services) -> None:
    """The whole life of a session."""
    await services.accounts.register("a@example.com", PASSWORD)
    first = await services.sessions.login("a@example.com", PASSWORD, client="c")
    principal = await services.sessions.authenticate(first.access_token)
    second = await services.sessions.refresh(first.refresh_token)
    assert (
        await services.sessions.authenticate(second.access_token)
    ).session.id == principal.session.id
    await services.sessions.logout(principal)
    with pytest.raises(Unauthenticated) as info:
        await services.sessions.authenticate(second.access_token)
    assert info.value.reason == "session_revoked"


@pytest.mark.parametrize("token", [None, "", "garbage", "a.b.c"])
async def test_bad_access_tokens(services: Services, token: str | None) -> None:
    """Missing and malformed tokens are Unauthenticated with a reason."""
    with pytest.raises(Unauthenticated) as info:
        await services.sessions.authenticate(token)
    assert info.value.reason


async def test_session_lifetime_bounds_access_tokens(
    make_settings: Any, clock: ManualClock
) -> None:
    """A token still inside its own lifetime dies with its session's absolute end."""
    services = build_services(make_settings(refresh_ttl_seconds=60), clock)
    await services.accounts.register("a@example.com", PASSWORD)
    tokens = await services.sessions.login("a@example.com", PASSWORD, client="c")
    clock.advance(61)
    with pytest.raises(Unauthenticated) as info:
        await services.sessions.authenticate(tokens.access_token)
    assert info.value.reason == "session_expired"
    services.offload.shutdown()
    services.repo.db.dispose()


async def test_refresh_refusals_are_counted(services: Services) -> None:
    """invalid, reused and malformed tokens each land in a refresh outcome."""
    await services.accounts.register("a@example.com", PASSWORD)
    tokens = await services.sessions.login("a@example.com", PASSWORD, client="c")
    await services.sessions.refresh(tokens.refresh_token)
    for token, reason in (
        (tokens.refresh_token, "reused"),
        ("x" * 600, "malformed"),
        ("nope", "not_found"),
    ):
        with pytest.raises(RefreshRefused) as info:
            await services.sessions.refresh(token)
        assert info.value.reason == reason
    text = services.metrics.render()[0].decode()
    assert metric_value(text, "authsvc_refresh_total", outcome="reused") == 1
    assert metric_value(text, "authsvc_refresh_total", outcome="invalid") == 2
    assert metric_value(text, "authsvc_refresh_total", outcome="success") == 1


async def test_unexpected_errors_are_counted(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug during login or refresh counts as outcome=error and propagates."""

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("bug")

    await services.accounts.register("a@example.com", PASSWORD)
    monkeypatch.setattr(services.repo, "record_login", broken)
    monkeypatch.setattr(services.repo, "rotate_refresh", broken)
    with pytest.raises(RuntimeError):
        await services.sessions.login("a@example.com", PASSWORD, client="c")
    with pytest.raises(RuntimeError):
        await services.sessions.refresh("token")
    text = services.metrics.render()[0].decode()
    assert metric_value(text, "authsvc_login_attempts_total", outcome="error") == 1
    assert metric_value(text, "authsvc_refresh_total", outcome="error") == 1


async def test_locked_is_its_own_metric_outcome(services: Services) -> None:
    """Locked logins are counted as locked, not bad_credentials."""
    await services.accounts.register("a@example.com", PASSWORD)
    for _ in range(6):
        with pytest.raises(LoginRefused):
            await services.sessions.login("a@example.com", "wrong password", client="c")
    text = services.metrics.render()[0].decode()
    assert metric_value(text, "authsvc_login_attempts_total", outcome="bad_credentials") == 5
    assert metric_value(text, "authsvc_login_attempts_total", outcome="locked") == 1


def _verify_then(services: Services, during: Callable[[], object]) -> None:
    """Make every verification run ``during`` right after it (a concurrent request's
    effect landing between a login's read of its state and its write)."""
    hasher = services.accounts._hasher
    real = hasher.verify

    def verify(stored: str, password: str) -> VerifyResult:
        result = real(stored, password)
        during()
        return result

    hasher.verify = verify  # type: ignore[method-assign]


def _record_failure(services: Services, clock: ManualClock) -> Callable[[], object]:
    return lambda: services.repo.record_failure(
        "a@example.com", clock.now(), threshold=5, window=timedelta(minutes=15)
    )


async def test_a_login_that_read_no_streak_sends_no_reset(
    services: Services, clock: ManualClock
) -> None:
    """The common login writes its session and nothing else. A failure that lands while it
    verifies stays counted (that failure is ordered after the success)."""
    await services.accounts.register("a@example.com", PASSWORD)
    sent: list[str] = []
    event.listen(
        services.repo.db.engine, "before_cursor_execute", lambda *args: sent.append(args[2])
    )
    _verify_then(services, _record_failure(services, clock))
    await services.sessions.login("a@example.com", PASSWORD, client="c")
    assert not [statement for statement in sent if statement.startswith("DELETE")]
    assert services.repo.login_state("a@example.com", clock.now()).failures == 1


async def test_a_login_that_read_a_streak_resets_it(services: Services, clock: ManualClock) -> None:
    """A streak the login saw is reset at its write, failures added meanwhile included; the
    next failures count from one again."""
    await services.accounts.register("a@example.com", PASSWORD)
    for _ in range(3):
        with pytest.raises(LoginRefused):
            await services.sessions.login("a@example.com", "wrong password", client="c")
    _verify_then(services, _record_failure(services, clock))
    await services.sessions.login("a@example.com", PASSWORD, client="c")
    assert services.repo.login_state("a@example.com", clock.now()).failures == 0
