"""A small typed httpx client for the authsvc API, with bounded timeouts.

Every call returns the raw :class:`httpx.Response` so tests assert on status and body
themselves; :meth:`AuthClient.login_tokens` is the one shortcut, for tests that only need to be
logged in. A *pinned* client keeps exactly one keep-alive connection, so all its requests reach
one uvicorn worker, and fails loudly if that connection is ever replaced.
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


class AuthClient:
    """The authsvc endpoints over one :class:`httpx.Client`."""

    def __init__(self, base_url: str, *, pinned: bool = False) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1) if pinned else None
        self.http = httpx.Client(
            base_url=base_url, timeout=TIMEOUT, limits=limits or httpx.Limits()
        )
        self.pinned = pinned
        self.client_port: int | None = None

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

    def register(self, email: str, password: str) -> httpx.Response:
        """``POST /v1/users``."""
        return self.request("POST", "/v1/users", json={"email": email, "password": password})

    def login(self, email: str, password: str) -> httpx.Response:
        """``POST /v1/sessions``."""
        return self.request("POST", "/v1/sessions", json={"email": email, "password": password})

    def login_tokens(self, email: str, password: str) -> Tokens:
        """Log in and return the tokens, asserting success."""
        return Tokens.from_response(self.login(email, password))

    def me(self, access_token: str) -> httpx.Response:
        """``GET /v1/me``."""
        return self.request("GET", "/v1/me", token=access_token)

    def refresh(self, refresh_token: str) -> httpx.Response:
        """``POST /v1/sessions/refresh``."""
        return self.request("POST", "/v1/sessions/refresh", json={"refresh_token": refresh_token})

    def logout(self, access_token: str) -> httpx.Response:
        """``DELETE /v1/sessions/current``."""
        return self.request("DELETE", "/v1/sessions/current", token=access_token)

    def change_password(self, access_token: str, current: str, new: str) -> httpx.Response:
        """``POST /v1/me/password``."""
        return self.request(
            "POST",
            "/v1/me/password",
            token=access_token,
            json={"current_password": current, "new_password": new},
        )


def pin_to_workers(server: LiveServer) -> dict[int, AuthClient]:
    """One pinned client per worker of ``server``, keyed by worker pid.

    New connections are opened until each worker has accepted one; the kernel decides which
    worker accepts, so this is bounded and fails if a worker never shows up.
    """
    pinned: dict[int, AuthClient] = {}
    for _ in range(PIN_ATTEMPTS):
        client = AuthClient(server.base_url, pinned=True)
        response = client.request("GET", "/readyz")
        worker = server.worker_of(response)
        if worker in pinned:
            client.close()
        else:
            pinned[worker] = client
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
