"""Monitoring is behaviour: the log events and metric labels of login, refresh, logout and hash
upgrade outcomes are what the canary (``authsvc_login_attempts_total`` by ``outcome``), the
alert rules (deploy/prometheus/) and log searches read. Each test asserts the whole event, so a
changed outcome label, reason or id is a failing test, not a silent dashboard change.
"""

from __future__ import annotations

from typing import Any

import pytest

from authsvc.clock import ManualClock
from authsvc.deps import Services
from authsvc.domain.credentials import UserRecord
from authsvc.domain.outcomes import LoginRefused, RefreshRefused
from authsvc.logs import LOGGER_NAME
from authsvc.security.hashing import make_pbkdf2_sha256
from tests.unit._helpers import metric_value

pytestmark = pytest.mark.anyio

EMAIL = "watch@example.com"
PASSWORD = "a perfectly fine password"


def events(caplog: pytest.LogCaptureFixture, name: str) -> list[dict[str, Any]]:
    """The ``name`` events logged, each as its fields (what the JSON line carries)."""
    return [
        dict(getattr(record, "authsvc_fields", {}))
        for record in caplog.records
        if record.name == LOGGER_NAME and record.getMessage() == name
    ]


def counted(services: Services, metric: str, **labels: str) -> float:
    return metric_value(services.metrics.render()[0].decode(), metric, **labels)


async def test_a_login_and_its_refresh_and_logout(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    user = await services.accounts.register(EMAIL, PASSWORD)
    with caplog.at_level("INFO", LOGGER_NAME):
        tokens = await services.sessions.login(EMAIL, PASSWORD, client="c")
        session = services.sessions._tokens.decode_access(tokens.access_token).sid
        principal = await services.sessions.authenticate(tokens.access_token)
        await services.sessions.refresh(tokens.refresh_token)
        await services.sessions.logout(principal)
    assert events(caplog, "login") == [
        {"outcome": "success", "user_id": user.id, "session_id": session}
    ]
    assert events(caplog, "refresh") == [{"outcome": "success", "session_id": session}]
    assert events(caplog, "logout") == [{"outcome": "revoked", "session_id": session}]
    assert counted(services, "authsvc_login_attempts_total", outcome="success") == 1
    assert counted(services, "authsvc_refresh_total", outcome="success") == 1


async def test_refused_logins_and_the_lock(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    await services.accounts.register(EMAIL, PASSWORD)
    with caplog.at_level("INFO", LOGGER_NAME):
        for _ in range(6):
            with pytest.raises(LoginRefused):
                await services.sessions.login(EMAIL, "not the password", client="c")
    refused = [{"outcome": "bad_credentials", "reason": "wrong_password"}] * 5
    assert events(caplog, "login") == [*refused, {"outcome": "locked", "reason": "locked"}]
    assert counted(services, "authsvc_login_attempts_total", outcome="bad_credentials") == 5
    assert counted(services, "authsvc_login_attempts_total", outcome="locked") == 1
    assert counted(services, "authsvc_login_attempts_total", outcome="success") == 0


async def test_server_errors_are_error_outcomes_not_refusals(
    services: Services, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("bug")

    await services.accounts.register(EMAIL, PASSWORD)
    monkeypatch.setattr(services.repo, "record_login", broken)
    monkeypatch.setattr(services.repo, "rotate_refresh", broken)
    with caplog.at_level("INFO", LOGGER_NAME):
        with pytest.raises(RuntimeError):
            await services.sessions.login(EMAIL, PASSWORD, client="c")
        with pytest.raises(RuntimeError):
            await services.sessions.refresh("token")
    assert events(caplog, "login") == [{"outcome": "error", "reason": "RuntimeError"}]
    assert events(caplog, "refresh") == [{"outcome": "error", "reason": "RuntimeError"}]
    assert counted(services, "authsvc_login_attempts_total", outcome="bad_credentials") == 0


async def test_a_refused_refresh(services: Services, caplog: pytest.LogCaptureFixture) -> None:
    await services.accounts.register(EMAIL, PASSWORD)
    tokens = await services.sessions.login(EMAIL, PASSWORD, client="c")
    await services.sessions.refresh(tokens.refresh_token)
    caplog.clear()  # the success above is logged when another test set the level to INFO
    with caplog.at_level("INFO", LOGGER_NAME):
        with pytest.raises(RefreshRefused):
            await services.sessions.refresh(tokens.refresh_token)
        with pytest.raises(RefreshRefused):
            await services.sessions.refresh("never issued")
    assert events(caplog, "refresh") == [
        {"outcome": "rejected", "reason": "reused"},
        {"outcome": "rejected", "reason": "not_found"},
    ]
    assert counted(services, "authsvc_refresh_total", outcome="reused") == 1
    assert counted(services, "authsvc_refresh_total", outcome="invalid") == 1


async def test_a_legacy_hash_is_upgraded_at_login(
    services: Services, caplog: pytest.LogCaptureFixture, clock: ManualClock
) -> None:
    legacy = make_pbkdf2_sha256(PASSWORD, iterations=1000)
    services.repo.create_user(UserRecord("u1", EMAIL, EMAIL, legacy, False, clock.now()))
    with caplog.at_level("INFO", LOGGER_NAME):
        await services.sessions.login(EMAIL, PASSWORD, client="c")
    assert events(caplog, "hash_upgrade") == [{"outcome": "upgraded", "reason": "pbkdf2_sha256"}]
    labels = {"from_scheme": "pbkdf2_sha256", "outcome": "upgraded"}
    assert counted(services, "authsvc_hash_upgrades_total", **labels) == 1
    assert counted(services, "authsvc_login_attempts_total", outcome="success") == 1
