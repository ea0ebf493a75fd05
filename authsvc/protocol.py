"""uvicorn's HTTP protocols, answering a request they cannot parse with problem+json.

A request uvicorn's parser rejects (an invalid ``Content-Length``, a malformed request line or
header) never reaches the app, so no middleware can shape the answer: uvicorn writes a
plain-text 400 itself. These subclasses replace only that answer, with the same problem+json
body and security headers as every other error of the service. ``authsvc serve`` hands
:func:`protocol_path` to uvicorn (a string, so worker processes import it themselves).
"""

from __future__ import annotations

import importlib.util

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from authsvc.errors import problem_response

__all__ = ["ProblemH11Protocol", "bad_request", "protocol_path"]

_DETAIL = "The request is not valid HTTP/1.1 (for instance its Content-Length or a header)."


def bad_request() -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The headers and body of the 400 for an unparsable request."""
    response = problem_response(400, detail=_DETAIL)
    headers = [
        *response.raw_headers,  # content-type and content-length
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
        (b"connection", b"close"),
    ]
    return headers, bytes(response.body)


class ProblemH11Protocol(H11Protocol):
    """h11 (the pure-Python parser) with a problem+json 400."""

    def send_400_response(self, msg: str) -> None:  # noqa: ARG002 (uvicorn's text is replaced)
        """Answer a request h11 could not parse, then close the connection."""
        headers, body = bad_request()
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()


def protocol_path() -> str:
    """The protocol class for uvicorn, as uvicorn's ``auto`` picks: httptools when installed."""
    if importlib.util.find_spec("httptools") is not None:
        return "authsvc.protocol_httptools:ProblemHttpToolsProtocol"
    return "authsvc.protocol:ProblemH11Protocol"
