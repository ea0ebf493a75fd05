"""A hostile login API for the "never crash, always report" test: every answer is a bad one.

It answers in turn with deeply nested JSON (deeper than any parser allows, and just under it
with a password inside), invalid UTF-8, a 20 MiB body, an HTML error page, JSON under a wrong
content type, a slow answer, a connection closed without an answer, a token that is not JSON or
not a string, and now and then a plausible success with opaque tokens, so the suite gets past
registration and reaches every kind of check. Runs in a thread of the test process on
127.0.0.1; GET requests to the login path (the suite's reachability probe) always answer.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOGIN = "/login"
BIG = 20 * 1024 * 1024
SLOW_SECONDS = 0.5
Answer = Callable[["_Handler"], None]


def _send(handler: _Handler, status: int, body: bytes, content_type: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _too_deep(handler: _Handler) -> None:
    _send(handler, 500, b"[" * 100_000 + b"]" * 100_000, "application/json")


def _deep_with_secret(handler: _Handler) -> None:
    body = '{"a": ' * 900 + '{"password": "leaked"}' + "}" * 900
    _send(handler, 500, body.encode(), "application/json")


def _bad_utf8(handler: _Handler) -> None:
    _send(handler, 400, b'{"detail": "\xff\xfe\xfa\xc3("}', "application/json; charset=utf-8")


def _huge(handler: _Handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(BIG))
    handler.end_headers()
    chunk = b" " * 65536
    for _ in range(BIG // len(chunk)):
        handler.wfile.write(chunk)


def _html(handler: _Handler) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1><pre>Traceback ...</pre></body></html>"
    _send(handler, 502, page, "text/html")


def _wrong_type(handler: _Handler) -> None:
    _send(handler, 200, b'{"access_token": "tok-wrong-type"}', "image/png")


def _slow(handler: _Handler) -> None:
    time.sleep(SLOW_SECONDS)
    _send(handler, 200, b"{}", "application/json")


def _closed(handler: _Handler) -> None:
    handler.close_connection = True
    handler.connection.close()


def _text_token(handler: _Handler) -> None:
    _send(handler, 200, b"access_token=abc123&refresh_token=def456", "text/plain")


def _odd_tokens(handler: _Handler) -> None:
    body = {"access_token": 12345, "refresh_token": ["x", {"y": None}]}
    _send(handler, 200, json.dumps(body).encode(), "application/json")


def _success(handler: _Handler) -> None:
    tokens = {"access_token": f"opaque-{time.monotonic_ns()}", "refresh_token": "r" * 40}
    status = 201 if handler.command == "POST" and "register" in handler.path else 200
    _send(handler, status, json.dumps(tokens).encode(), "application/json")


ANSWERS: tuple[Answer, ...] = (
    _success,
    _too_deep,
    _success,
    _deep_with_secret,
    _bad_utf8,
    _success,
    _html,
    _wrong_type,
    _slow,
    _success,
    _closed,
    _text_token,
    _odd_tokens,
    _success,
)


class _Handler(BaseHTTPRequestHandler):
    turns: Iterator[int] = itertools.count()
    lock = threading.Lock()
    close_all = False

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        """Quiet."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(min(length, 2 * 1024 * 1024))
        if self.close_all:
            _closed(self)
            return
        if self.command == "GET" and self.path.startswith(LOGIN):
            _html(self)
            return
        with self.lock:
            turn = next(self.turns)
        if turn % 97 == 50:  # rarely: the 20 MiB body is slow to send on a shared machine
            _huge(self)
            return
        ANSWERS[turn % len(ANSWERS)](self)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = _answer  # noqa: N815


@contextmanager
def hostile_target(*, close_all: bool = False) -> Iterator[str]:
    """The hostile API's base URL, for the ``with`` block; ``close_all``: never any answer."""
    handler = type("Handler", (_Handler,), {"close_all": close_all})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


PROFILE = """
[target]
name = "hostile"

[endpoints.register]
method = "POST"
path = "/register"
fields = { email = "email", password = "password" }
success = [201]

[endpoints.login]
method = "POST"
path = "/login"
fields = { email = "email", password = "password" }
success = [200]

[endpoints.refresh]
method = "POST"
path = "/refresh"
fields = { refresh_token = "refresh_token" }
success = [200]

[endpoints.logout]
method = "POST"
path = "/logout"
success = [204]

[endpoints.me]
method = "GET"
path = "/me"
success = [200]

[tokens]
access = "access_token"
refresh = "refresh_token"

[claims]
refresh_rotation = true
revoke_on_logout = true
lockout = { threshold = 3, window_seconds = 60 }
min_password_length = 8
max_body_bytes = 65536
"""
