"""Pure ASGI middleware: request context and headers, and the request-body size limit.

Pure ASGI (no ``BaseHTTPMiddleware``) so the body is streamed through, context variables
set here are the ones the handlers see, and nothing is buffered beyond the size limit.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from authsvc.errors import internal_error_response, problem_response, security_headers
from authsvc.logs import log_event, request_id_var
from authsvc.metrics import Metrics

__all__ = ["BodyLimitMiddleware", "RequestContextMiddleware"]

# A client-supplied request id is echoed only if it is short and plain, so it cannot
# inject anything into logs or headers.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_UNMATCHED_ROUTE = "unmatched"
#: The Server-Timing metric of ``AUTHSVC_SERVER_TIMING``: time spent in the app, in ms.
SERVER_TIMING_METRIC = "app"


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = bytes(value).decode("latin-1")
            if _REQUEST_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Per request: the request id, security headers, latency metric and one log line.

    With ``server_timing`` each response also says how long the app took on it, in a
    ``Server-Timing`` header (off by default: a precise figure makes a timing side channel
    easier to read from outside, so it is for test and staging deployments).

    It is also the last error boundary: an exception no handler took becomes a generic
    problem+json 500 with nothing of the exception in it.
    """

    def __init__(self, app: ASGIApp, *, metrics: Metrics, server_timing: bool = False) -> None:
        self.app = app
        self.metrics = metrics
        self.server_timing = server_timing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        context_token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in security_headers().items():
                    if name not in headers:
                        headers[name] = value
                if self.server_timing:
                    # The time up to the response head: the bodies are small JSON documents,
                    # so that is all of the work, without the network or the client's queue.
                    spent = (time.perf_counter() - started) * 1000
                    headers.append("server-timing", f"{SERVER_TIMING_METRIC};dur={spent:.3f}")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            log_event(
                "unhandled_exception",
                outcome="error",
                reason=type(exc).__name__,
                level=logging.ERROR,
                exc_info=exc,
            )
            if response_started:
                raise
            await internal_error_response()(scope, receive, send_with_headers)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or _UNMATCHED_ROUTE
            elapsed = time.perf_counter() - started
            self.metrics.observe_request(
                route=template, method=scope["method"], status=status, seconds=elapsed
            )
            log_event(
                "http_request",
                method=scope["method"],
                route=template,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )
            request_id_var.reset(context_token)


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413, streamed or not.

    A declared ``Content-Length`` over the limit is refused before reading anything.
    Otherwise the body is read here, counting bytes as they arrive (a chunked upload has
    no Content-Length), up to the limit, and then handed to the app. Bodies are small
    JSON documents, so holding at most ``max_bytes`` is cheap; refusing early means a
    huge upload costs the service almost nothing.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    await self._refuse(scope, receive, send, 400, "Invalid Content-Length.")
                    return
                if declared > self.max_bytes:
                    await self._refuse(scope, receive, send, 413, self._too_large())
                    return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away; let the app see the disconnect.
                await self.app(scope, _replay([], message, receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send, 413, self._too_large())
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        first = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay([first], None, receive), send)

    def _too_large(self) -> str:
        return f"Request bodies are limited to {self.max_bytes} bytes."

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
        response = problem_response(status, detail=detail, headers={"Connection": "close"})
        await response(scope, receive, send)


def _replay(messages: list[Message], then: Message | None, receive: Receive) -> Receive:
    """A ``receive`` that returns ``messages``, then ``then``, then defers to ``receive``."""
    pending = [*messages, *([then] if then is not None else [])]

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
