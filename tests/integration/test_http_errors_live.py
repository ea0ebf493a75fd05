"""Requests uvicorn's parser refuses, sent to the real ``authsvc serve``: problem+json too.

Such a request never reaches the app; ``authsvc serve`` gives uvicorn a protocol class that
answers it like every other error (``authsvc/protocol.py``), in every worker process.
"""

from __future__ import annotations

import json
import socket

import pytest

from tests.integration._servers import HOST, LiveServer


@pytest.mark.parametrize(
    "content_length", ["abc", "-1", "1, 2", "99999999999999999999999"], ids=str
)
def test_an_invalid_content_length_gets_problem_json(
    service: LiveServer, content_length: str
) -> None:
    """Not uvicorn's plain-text "Invalid HTTP request received.", on every worker count."""
    request = (
        f"POST /v1/sessions HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {content_length}\r\n\r\n{{}}"
    ).encode()
    with socket.create_connection((HOST, service.port), timeout=10) as conn:
        conn.sendall(request)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").lower().split("\r\n")
    assert lines[0] == "http/1.1 400 bad request", received
    assert "content-type: application/problem+json" in lines
    assert "x-content-type-options: nosniff" in lines
    problem = json.loads(body)
    assert problem["status"] == 400
    assert "Content-Length" in problem["detail"]
