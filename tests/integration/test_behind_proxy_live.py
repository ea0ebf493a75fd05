"""authsvc as it is deployed: behind nginx, clients at distinct addresses, limiter on.

The service trusts 127.0.0.1 (nginx's address towards it) as its proxy and runs the per-client
limiter at its production default (300 failed attempts per client per minute); every client
binds its own loopback address (127.0.0.2 and up), so the service tells them apart only by
what it derives from the peer address and ``X-Forwarded-For``. Rules:

- one client's failures never block another client's correct login, and the attacked
  account's owner gets the lockout's answer (401, the bad-credentials answer), not a 429;
- over the limit, the answer is 429 with ``Retry-After``;
- a peer that is not a trusted proxy cannot choose its address with ``X-Forwarded-For``;
- through nginx, a client's own ``X-Forwarded-For`` (nginx appends the real peer) is not its
  address either: the right-most entry that is not a trusted proxy is.

Skipped without nginx, unless ``QG_REQUIRE_NGINX=1`` (CI), which makes that a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from quality_gates.topology.clients import client_addresses
from quality_gates.topology.nginx import Nginx, nginx_binary, start_nginx
from tests.integration._client import new_password, unique_email
from tests.integration._servers import Database, LiveServer, StartLiveServer

#: authsvc's default AUTHSVC_CLIENT_RATE_LIMIT (failed attempts per client per minute).
PRODUCTION_LIMIT = 300
LOCK_SECONDS = 900  # authsvc's default AUTHSVC_LOCKOUT_WINDOW_SECONDS
ATTACKER, NEIGHBOUR, OWNER = client_addresses(3)


@pytest.fixture
def nginx_required() -> None:
    """Skip without nginx; ``QG_REQUIRE_NGINX=1`` makes a missing nginx a failure."""
    if nginx_binary() is None:
        reason = "nginx is not installed (Debian: apt-get install nginx-light)"
        if os.environ.get("QG_REQUIRE_NGINX") == "1":
            pytest.fail(f"QG_REQUIRE_NGINX=1 but {reason}")
        pytest.skip(reason)


@pytest.fixture
def service(start_live_server: StartLiveServer, tmp_path: Path) -> LiveServer:
    """authsvc trusting 127.0.0.1 as its proxy, every limit at its default."""
    database = Database.sqlite(tmp_path / "authsvc.db")
    return start_live_server(database, env={"AUTHSVC_TRUSTED_PROXIES": "127.0.0.1"})


@pytest.fixture
def proxy(nginx_required: None, service: LiveServer, tmp_path: Path) -> Iterator[Nginx]:
    """nginx in front of the service."""
    nginx = start_nginx(service.port, tmp_path / "nginx")
    yield nginx
    nginx.stop()


Connect = Callable[..., httpx.Client]


@pytest.fixture
def connect() -> Iterator[Connect]:
    """``connect(base_url, address)``: a client whose connections come from ``address``."""
    clients: list[httpx.Client] = []

    def make(base_url: str, address: str) -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=address)
        client = httpx.Client(base_url=base_url, transport=transport, timeout=20.0)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def _login(client: httpx.Client, email: str, password: str, **headers: str) -> httpx.Response:
    return client.post("/v1/sessions", json={"email": email, "password": password}, headers=headers)


def _register(client: httpx.Client) -> tuple[str, str]:
    email, password = unique_email("proxied"), new_password()
    response = client.post("/v1/users", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return email, password


def _hammer(client: httpx.Client, email: str, **headers: str) -> tuple[int, httpx.Response]:
    """Wrong passwords for ``email`` until a 429: the failures it took, and the 429."""
    for attempt in range(PRODUCTION_LIMIT + 1):
        response = _login(client, email, "wrong-password-123", **headers)
        if response.status_code == 429:
            return attempt, response
        assert response.status_code == 401, response.text
    pytest.fail(f"no 429 after {PRODUCTION_LIMIT + 1} failures from one client")


def test_one_clients_failures_block_no_one_else(
    proxy: Nginx, service: LiveServer, connect: Connect
) -> None:
    """The attacker is limited (429 + Retry-After); a neighbour and the owner are not."""
    attacker = connect(proxy.base_url, ATTACKER)
    neighbour = connect(proxy.base_url, NEIGHBOUR)
    owner = connect(proxy.base_url, OWNER)
    victim_email, victim_password = _register(owner)
    own_email, own_password = _register(neighbour)

    failures, refused = _hammer(attacker, victim_email)
    assert failures == PRODUCTION_LIMIT
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["content-type"].startswith("application/problem+json")

    assert _login(neighbour, own_email, own_password).status_code == 200
    # The owner's account is locked (5 failures): the lock's answer, 401, and not a 429.
    locked = _login(owner, victim_email, victim_password)
    assert locked.status_code == 401, locked.text
    # The attacker stays limited even on an account it never touched.
    assert _login(attacker, own_email, own_password).status_code == 429
    # Once the lock has run out (900 s), the owner logs in.
    service.set_clock_offset(LOCK_SECONDS + 1)
    assert _login(owner, victim_email, victim_password).status_code == 200


@pytest.mark.parametrize("route", ["direct", "nginx"])
def test_forwarded_for_cannot_choose_the_address(
    route: str, nginx_required: None, service: LiveServer, tmp_path: Path, connect: Connect
) -> None:
    """A client's own X-Forwarded-For is never its address.

    Straight to the service, the peer is no trusted proxy, so its header is ignored; through
    nginx, nginx appends the real peer and the service takes the right-most untrusted entry.
    """
    base_url = service.base_url
    if route == "nginx":
        nginx = start_nginx(service.port, tmp_path / "nginx")
        base_url = nginx.base_url
    try:
        spoofer = connect(base_url, ATTACKER)
        framed = connect(base_url, NEIGHBOUR)
        email, password = _register(framed)
        # Naming the neighbour's address: if believed, the neighbour would take the limit.
        failures, _ = _hammer(spoofer, unique_email("nobody"), **{"X-Forwarded-For": NEIGHBOUR})
        assert failures == PRODUCTION_LIMIT
        assert _login(framed, email, password).status_code == 200
        # A made-up address does not start a fresh count either.
        forged = {"X-Forwarded-For": "203.0.113.9"}
        assert _login(spoofer, email, "x" * 12, **forged).status_code == 429
    finally:
        if route == "nginx":
            nginx.stop()
