"""Structured logs: one JSON object per line, never a secret."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import pytest

from authsvc.logs import JsonFormatter, configure_logging, log_event, request_id_var
from tests.unit._helpers import EMAIL, PASSWORD, Api

pytestmark = pytest.mark.anyio


def _format(record: logging.LogRecord) -> dict[str, object]:
    parsed: dict[str, object] = json.loads(JsonFormatter().format(record))
    return parsed


def test_event_line_fields(caplog: pytest.LogCaptureFixture) -> None:
    """ts, level, request_id, event, outcome, reason, and extra fields."""
    caplog.set_level(logging.INFO, logger="authsvc")
    token = request_id_var.set("req-1")
    try:
        log_event("login", outcome="bad_credentials", reason="wrong_password", user_id="u1")
        line = _format(caplog.records[-1])
    finally:
        request_id_var.reset(token)
    assert line["event"] == "login"
    assert line["level"] == "info"
    assert line["request_id"] == "req-1"
    assert line["outcome"] == "bad_credentials"
    assert line["reason"] == "wrong_password"
    assert line["user_id"] == "u1"
    assert str(line["ts"]).endswith("+00:00")


def test_secret_named_fields_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    """A field called like a secret never reaches the output, whatever it holds."""
    caplog.set_level(logging.INFO, logger="authsvc")
    secrets: dict[str, Any] = {
        "password": "hunter2",
        "password_hash": "$argon2id$...",
        "refresh_token": "abc",
        "client_secret": "s",
        "Authorization": "Bearer x",
    }
    log_event("oops", **secrets)
    text = JsonFormatter().format(caplog.records[-1])
    for secret in ("hunter2", "$argon2id$", "abc", '"s"', "Bearer x"):
        assert secret not in text
    assert text.count("[redacted]") == 5


# A value no file path contains: the stack frames name files, so a checkout under a folder
# called "argon2" must not make the test fail.
_SQL_PARAMETER = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$bm90LWEtcGF0aA"


def _fail_with_sql_in_message() -> None:
    raise ValueError(f"INSERT ... parameters: ('{_SQL_PARAMETER}',)")


def test_exceptions_are_logged_without_their_message(caplog: pytest.LogCaptureFixture) -> None:
    """The type and frames only: messages can quote SQL parameters."""
    caplog.set_level(logging.INFO, logger="authsvc")
    try:
        _fail_with_sql_in_message()
    except ValueError as exc:
        log_event("failure", exc_info=exc)
    line = _format(caplog.records[-1])
    assert line["exc_type"] == "ValueError"
    text = json.dumps(line)
    assert _SQL_PARAMETER not in text
    assert isinstance(line["stack"], list)
    assert any("_fail_with_sql_in_message" in str(frame) for frame in line["stack"])


def test_configure_logging_is_idempotent(capsys: pytest.CaptureFixture[str]) -> None:
    """One JSON handler on the root, however often it is configured."""
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        configure_logging("INFO")
        configure_logging("WARNING")
        ours = [h for h in root.handlers if getattr(h, "_authsvc_handler", False)]
        assert len(ours) == 1
        assert isinstance(ours[0], logging.StreamHandler)
        assert ours[0].stream is sys.stderr
        assert root.level == logging.WARNING
        assert logging.getLogger("uvicorn.error").propagate
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
        root.setLevel(level)


async def test_a_whole_session_logs_no_secret(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    """Register, log in, fail, refresh, read, log out: no password, hash or token logged."""
    caplog.set_level(logging.DEBUG)
    await api.register()
    pair = await api.tokens()
    await api.login(EMAIL, "a wrong password")
    fresh = (await api.refresh(pair["refresh_token"])).json()
    await api.me(fresh["access_token"])
    await api.http.delete(
        "/v1/sessions/current", headers={"Authorization": f"Bearer {fresh['access_token']}"}
    )
    lines = [JsonFormatter().format(record) for record in caplog.records]
    text = "\n".join(lines)
    assert lines
    for secret in (
        PASSWORD,
        "a wrong password",
        pair["access_token"],
        pair["refresh_token"],
        fresh["access_token"],
        fresh["refresh_token"],
        "$argon2id$",
    ):
        assert secret not in text
    events = {json.loads(line)["event"] for line in lines}
    assert {"registration", "login", "refresh", "logout", "http_request"} <= events
