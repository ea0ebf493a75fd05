"""A small typed httpx client for the authsvc API, with bounded timeouts.

Every call returns the raw :class:`httpx.Response` so tests assert on status and body
themselves; :meth:`AuthClient.login_tokens` is the one shortcut, for tests that only need to be
logged in. A *pinned* client keeps exactly one keep-alive connection, so all its requests reach
one uvicorn worker, and fails loudly if that connection is ever replaced. A :class:`WorkerClient`
(from :func:`pin_to_workers`) is pinned to a named worker and survives the server closing its
idle connection: it reconnects to that same worker, and checks in ``/proc`` that every request
reached it.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from tests._api import AuthsvcCalls
from tests.integration._procfs import response_client_port
from tests.integration._servers import LiveServer

TIMEOUT = httpx.Timeout(20.0, connect=5.0)
PIN_ATTEMPTS = 200
T = TypeVar("T")


def unique_email(prefix: str = "user") -> str:
    """An address no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.test"


def new_password() -> str:
    """A random password that passes any length or blocklist rule."""
    return f"Pw-{secrets.token_urlsafe(15)}"


@dataclass(frozen=True)
class Tokens:
    """The token pair from a login or refresh."""

    access_token: str
    refresh_token: str
    expires_in: int

    @classmethod
    def from_response(cls, response: httpx.Response) -> Tokens:
        """Parse a 200 login or refresh response (asserting it is one)."""
        assert response.status_code == 200, (response.status_code, response.text)
        body = response.json()
        assert body["token_type"].lower() == "bearer", body
        return cls(body["access_token"], body["refresh_token"], int(body["expires_in"]))


class AuthClient(AuthsvcCalls):
    """The authsvc endpoints over one :class:`httpx.Client`."""

    def __init__(self, base_url: str, *, pinned: bool = False) -> None:
        self.base_url = base_url
        self.pinned = pinned
        self.http = self._new_http()
        self.client_port: int | None = None

    def _new_http(self) -> httpx.Client:
        limits = (
            httpx.Limits(max_connections=1, max_keepalive_connections=1)
            if self.pinned
            else httpx.Limits()
        )
        return httpx.Client(base_url=self.base_url, timeout=TIMEOUT, limits=limits)

    def __enter__(self) -> AuthClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def request(
        self, method: str, path: str, *, token: str | None = None, json: Any = None
    ) -> httpx.Response:
        """Send one request; a pinned client checks it still uses its first connection."""
        headers = {"Authorization": f"Bearer {token}"} if token is not None else None
        response = self.http.request(method, path, json=json, headers=headers)
        if self.pinned:
            port = response_client_port(response)
            if self.client_port is None:
                self.client_port = port
            elif port != self.client_port:
                raise AssertionError(
                    "pinned connection was replaced (server closed keep-alive?); "
                    "the request may have reached another worker"
                )
        return response

    def login_tokens(self, email: str, password: str) -> Tokens:
        """Log in and return the tokens, asserting success."""
        return Tokens.from_response(self.login(email, password))


class WorkerClient(AuthClient):
    """A pinned client bound to one worker (by pid), robust to the server dropping its connection.

    uvicorn closes a keep-alive connection that stays idle for 5 s (``--timeout-keep-alive``,
    which authsvc does not expose), and on a loaded machine a test can leave one idle that long.
    httpx then quietly opens a new connection, which the kernel may hand to *any* worker: a
    plain pinned client can only fail then. This one instead:

    - before each request, sends ``GET /healthz`` (no state) over its connection, which also
      restarts the idle timer; if that came over a new connection held by another worker, the
      connection is dropped and new ones are opened until one lands on :attr:`worker`;
    - after each request, if the connection changed after all (the server closed it in the
      instant between), asks ``/proc`` which process holds the new one, and raises
      ``AssertionError`` unless it is :attr:`worker`.

    So every response it returns was served by :attr:`worker`: the guarantee a test pins for.
    """

    def __init__(
        self, server: LiveServer, worker: int, http: httpx.Client, first: httpx.Response
    ) -> None:
        """``http`` holds one connection, to ``worker``, over which ``first`` came."""
        super().__init__(server.base_url, pinned=True)
        self.http.close()
        self.http = http
        self.server = server
        self.worker = worker
        self.client_port = response_client_port(first)
        self.reconnects = 0
        """How many times the connection was replaced by one to the same worker."""

    def _served_by(self, response: httpx.Response) -> int | None:
        try:
            return self.server.worker_of(response)
        except LookupError:
            return None

    def _on_worker(self, response: httpx.Response) -> bool:
        """Whether ``response`` came over our connection, or a new one held by our worker."""
        port = response_client_port(response)
        if port == self.client_port:
            return True
        if self._served_by(response) == self.worker:
            self.client_port = port
            self.reconnects += 1
            return True
        return False

    def _ensure_connection(self) -> None:
        for _ in range(PIN_ATTEMPTS):
            try:
                probe = self.http.request("GET", "/healthz")
            except httpx.TransportError:
                pass  # closed under the probe: harmless for a GET of /healthz; reconnect
            else:
                if self._on_worker(probe):
                    return
            self.http.close()
            self.http = self._new_http()
        raise AssertionError(
            f"could not reconnect to worker {self.worker} in {PIN_ATTEMPTS} connections"
        )

    def request(
        self, method: str, path: str, *, token: str | None = None, json: Any = None
    ) -> httpx.Response:
        """Send one request over a connection held by :attr:`worker` (checked, see above)."""
        self._ensure_connection()
        headers = {"Authorization": f"Bearer {token}"} if token is not None else None
        response = self.http.request(method, path, json=json, headers=headers)
        if not self._on_worker(response):
            raise AssertionError(
                f"{method} {path} was meant for worker {self.worker} but reached "
                f"{self._served_by(response)}: the server closed the pinned connection while "
                "the request was being sent"
            )
        return response


def pin_to_workers(server: LiveServer) -> dict[int, WorkerClient]:
    """One client pinned to each worker of ``server``, keyed by worker pid.

    New connections are opened until each worker has accepted one; the kernel decides which
    worker accepts, so this is bounded and fails if a worker never shows up.
    """
    pinned: dict[int, WorkerClient] = {}
    for _ in range(PIN_ATTEMPTS):
        http = httpx.Client(
            base_url=server.base_url,
            timeout=TIMEOUT,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )
        response = http.get("/readyz")
        worker = server.worker_of(response)
        if worker in pinned:
            http.close()
        else:
            pinned[worker] = WorkerClient(server, worker, http, response)
        if len(pinned) == server.workers:
            return pinned
    for client in pinned.values():
        client.close()
    raise AssertionError(
        f"reached {len(pinned)} of {server.workers} workers in {PIN_ATTEMPTS} connections"
    )


def in_parallel(base_url: str, count: int, call: Callable[[AuthClient, int], T]) -> list[T]:
    """Run ``call(client, index)`` on ``count`` threads, released together by a barrier.

    Each thread has its own client and therefore its own connection, so with several workers
    the requests spread over them. Bounded: ``count`` requests, each with :data:`TIMEOUT`.
    """
    barrier = threading.Barrier(count, timeout=30)

    def run(index: int) -> T:
        with AuthClient(base_url) as client:
            client.request("GET", "/healthz")  # connect first, so the race is the request
            barrier.wait()
            return call(client, index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))
