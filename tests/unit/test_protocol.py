"""uvicorn's protocols with a problem+json 400, on a real uvicorn server in a thread.

The authsvc wiring (``authsvc serve`` passes the protocol to uvicorn, in every worker) is
tested on the live service in ``tests/integration/test_http_errors_live.py``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from authsvc.protocol import protocol_path

PROTOCOLS = [
    "authsvc.protocol:ProblemH11Protocol",
    "authsvc.protocol_httptools:ProblemHttpToolsProtocol",
]

# Requests uvicorn's parsers refuse before any app code runs.
UNPARSABLE = {
    "content-length-not-a-number": b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n",
    "content-length-negative": b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
    "content-length-twice": (
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"
    ),
    "header-without-colon": b"GET / HTTP/1.1\r\nHost t\r\n\r\n",
}


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers 204: a request that reaches the app was parsed."""
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture(params=PROTOCOLS, ids=["h11", "httptools"])
def port(request: pytest.FixtureRequest) -> Iterator[int]:
    """A uvicorn server with the given protocol class, on a free loopback port."""
    config = uvicorn.Config(
        _app, host="127.0.0.1", port=0, http=request.param, log_config=None, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield server.servers[0].sockets[0].getsockname()[1]
    server.should_exit = True
    thread.join(10)


def _exchange(port: int, request: bytes) -> tuple[str, dict[str, str], bytes]:
    """Send raw bytes; return the status line, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request)
        received = b""
        while chunk := conn.recv(65536):  # the server closes the connection after a 400
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (x.partition(":") for x in lines)}
    return status, headers, body


@pytest.mark.parametrize("request_bytes", UNPARSABLE.values(), ids=UNPARSABLE.keys())
def test_unparsable_requests_get_problem_json(port: int, request_bytes: bytes) -> None:
    """A 400 problem document with the security headers, then the connection closes."""
    status, headers, body = _exchange(port, request_bytes)
    assert status == "HTTP/1.1 400 Bad Request"
    assert headers["content-type"] == "application/problem+json"
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["connection"] == "close"
    assert int(headers["content-length"]) == len(body)
    problem = json.loads(body)
    assert problem["status"] == 400
    assert problem["title"] == "Bad Request"
    assert "Content-Length" in problem["detail"]


def test_a_valid_request_still_reaches_the_app(port: int) -> None:
    """Only the parser's own answer changes."""
    status, _, _ = _exchange(port, b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert status == "HTTP/1.1 204 No Content"


def test_the_served_protocol_is_uvicorns_choice() -> None:
    """httptools when installed (uvicorn's ``auto`` picks it too), as a string workers import."""
    assert protocol_path() == PROTOCOLS[1]
