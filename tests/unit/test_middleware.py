"""The ASGI middleware: body limit, request ids, security headers, per-request telemetry."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from authsvc.app import create_app
from authsvc.clock import ManualClock
from authsvc.config import Settings
from authsvc.metrics import Metrics
from authsvc.middleware import BodyLimitMiddleware, RequestContextMiddleware
from tests.unit._helpers import make_client, metric_value

pytestmark = pytest.mark.anyio


class _Echo:
    """A tiny ASGI app that answers with the size of the body it received."""

    def __init__(self) -> None:
        self.called = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.called = True
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(body)).encode()})


def _scope(headers: list[tuple[bytes, bytes]] | None = None) -> Scope:
    return {"type": "http", "method": "POST", "path": "/x", "headers": headers or []}


async def _run(app: Any, scope: Scope, chunks: list[bytes]) -> tuple[list[Message], int]:
    sent: list[Message] = []
    pulls = 0

    async def receive() -> Message:
        nonlocal pulls
        pulls += 1
        if pulls <= len(chunks):
            return {
                "type": "http.request",
                "body": chunks[pulls - 1],
                "more_body": pulls < len(chunks),
            }
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent, pulls


async def test_streamed_body_over_the_limit_is_413_without_content_length() -> None:
    """A chunked upload is cut off as soon as it passes the limit, before the app runs."""
    inner = _Echo()
    middleware = BodyLimitMiddleware(inner, max_bytes=1024)
    sent, pulls = await _run(middleware, _scope(), [b"x" * 300] * 100)
    assert sent[0]["status"] == 413
    assert not inner.called
    assert pulls == 4  # stopped reading at the fourth chunk (1200 bytes)
    assert json.loads(sent[1]["body"])["status"] == 413


async def test_declared_length_over_the_limit_is_refused_unread() -> None:
    """Content-Length over the limit: 413 before reading a byte."""
    inner = _Echo()
    middleware = BodyLimitMiddleware(inner, max_bytes=1024)
    sent, pulls = await _run(middleware, _scope([(b"content-length", b"999999")]), [b"x"])
    assert sent[0]["status"] == 413
    assert pulls == 0


@pytest.mark.parametrize("value", [b"abc", b"-5"])
async def test_invalid_content_length_is_400(value: bytes) -> None:
    """A Content-Length that is not a non-negative integer is a bad request."""
    sent, _ = await _run(
        BodyLimitMiddleware(_Echo(), max_bytes=10), _scope([(b"content-length", value)]), []
    )
    assert sent[0]["status"] == 400


async def test_body_within_the_limit_is_replayed_whole() -> None:
    """Chunks under the limit reach the app as one body."""
    sent, _ = await _run(
        BodyLimitMiddleware(_Echo(), max_bytes=1024), _scope(), [b"a" * 500, b"b" * 524]
    )
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b"1024"


async def test_disconnect_is_passed_through() -> None:
    """A client that leaves before sending a body: the app sees the disconnect."""
    seen: list[str] = []

    async def app(_scope: Scope, receive: Receive, _send: Send) -> None:
        seen.append((await receive())["type"])

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(_message: Message) -> None:
        raise AssertionError("nothing should be sent")

    await BodyLimitMiddleware(app, max_bytes=10)(_scope(), receive, send)
    assert seen == ["http.disconnect"]


async def test_lifespan_scopes_pass_through() -> None:
    """Non-HTTP scopes are not touched by either middleware."""
    calls: list[str] = []

    async def app(scope: Scope, _receive: Receive, _send: Send) -> None:
        calls.append(scope["type"])

    async def nothing() -> Message:
        return {}

    async def discard(_message: Message) -> None:
        return None

    await BodyLimitMiddleware(app, max_bytes=1)({"type": "lifespan"}, nothing, discard)
    await RequestContextMiddleware(app, metrics=Metrics())({"type": "lifespan"}, nothing, discard)
    assert calls == ["lifespan", "lifespan"]


async def test_huge_body_over_http_is_413(client: httpx.AsyncClient) -> None:
    """Through the whole app: a 10 MiB body gets a 413 problem, and the service stays up."""
    response = await client.post(
        "/v1/sessions",
        content=b"{" + b" " * (10 * 1024 * 1024),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert (await client.get("/healthz")).status_code == 200


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    """A plain client id is echoed; a missing or unsafe one is replaced."""
    echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-123.X:1"})
    assert echoed.headers["x-request-id"] == "abc-123.X:1"
    generated = await client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32
    unsafe = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"


@pytest.mark.parametrize("path", ["/healthz", "/metrics", "/openapi.json", "/nope"])
async def test_security_headers_everywhere(client: httpx.AsyncClient, path: str) -> None:
    """nosniff and no-store on every response, and no server banner."""
    response = await client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert "server" not in response.headers


async def test_requests_are_measured_by_route_template(client: httpx.AsyncClient) -> None:
    """The latency histogram and response counter use templates, not raw paths."""
    await client.get("/healthz")
    await client.get("/does/not/exist")
    text = (await client.get("/metrics")).text
    count = "authsvc_request_duration_seconds_count"
    assert metric_value(text, count, route="/healthz", method="GET") == 1
    assert metric_value(text, count, route="unmatched", method="GET") == 1
    assert (
        metric_value(
            text, "authsvc_http_responses_total", route="unmatched", method="GET", status="404"
        )
        == 1
    )


async def test_one_log_line_per_request(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Each request logs an http_request event carrying its request id."""
    caplog.set_level(logging.INFO, logger="authsvc")
    await client.get("/healthz", headers={"X-Request-ID": "req-42"})
    records = [r for r in caplog.records if r.getMessage() == "http_request"]
    assert len(records) == 1
    fields = getattr(records[0], "authsvc_fields")  # noqa: B009 (set via logging extra)
    assert fields == {
        "method": "GET",
        "route": "/healthz",
        "status": 200,
        "duration_ms": fields["duration_ms"],
    }


async def test_exception_after_response_start_is_reraised() -> None:
    """Once headers are out, the error cannot become a 500 page; it propagates."""

    async def app(_scope: Scope, _receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("late failure")

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    middleware = RequestContextMiddleware(app, metrics=Metrics())
    with pytest.raises(RuntimeError):
        await middleware({**_scope(), "method": "GET"}, receive, send)
    assert sent[0]["status"] == 200


def _server_timing(headers: list[tuple[bytes, bytes]]) -> list[str]:
    return [v.decode() for k, v in headers if k.lower() == b"server-timing"]


async def test_server_timing_reports_the_time_spent_in_the_app() -> None:
    """On: one ``app;dur=`` entry, at least as long as the app took before answering."""

    async def slow(_scope: Scope, _receive: Receive, send: Send) -> None:
        await anyio.sleep(0.05)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    middleware = RequestContextMiddleware(slow, metrics=Metrics(), server_timing=True)
    sent, _ = await _run(middleware, {**_scope(), "method": "GET"}, [])
    (entry,) = _server_timing(sent[0]["headers"])
    name, duration = entry.split(";")
    assert name == "app"
    assert duration.startswith("dur=")
    assert 50.0 <= float(duration.removeprefix("dur=")) < 60_000


async def test_server_timing_is_off_by_default(client: httpx.AsyncClient) -> None:
    """Off unless asked for: a precise server time helps whoever measures a side channel."""
    response = await client.post("/v1/sessions", json={"email": "a@example.org", "password": "x"})
    assert response.status_code == 401
    assert "server-timing" not in response.headers


async def test_server_timing_setting_reaches_every_response(
    make_settings: Callable[..., Settings], clock: ManualClock
) -> None:
    """``AUTHSVC_SERVER_TIMING`` turns the header on for the whole app, errors included."""
    app = create_app(make_settings(server_timing=True), clock=clock)
    async with app.router.lifespan_context(app), make_client(app) as http:
        refused = await http.post("/v1/sessions", json={"email": "a@example.org", "password": "x"})
        missing = await http.get("/nope")
    for response in (refused, missing):
        (entry,) = response.headers.get_list("server-timing")
        assert entry.startswith("app;dur=")
        assert float(entry.removeprefix("app;dur=")) > 0
