"""/healthz, /readyz, /metrics."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from authsvc.app import create_app
from authsvc.config import Settings
from tests.unit._helpers import make_client

pytestmark = pytest.mark.anyio


async def test_healthz(client: httpx.AsyncClient) -> None:
    """The process answers."""
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_when_the_database_answers(client: httpx.AsyncClient) -> None:
    """SELECT 1 works: ready."""
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_503_problem_without_a_database(
    make_settings: Callable[..., Settings],
) -> None:
    """An unreachable database: 503 problem+json, no driver details."""
    app = create_app(make_settings(database_url="sqlite:////nonexistent/dir/authsvc.db"))
    async with app.router.lifespan_context(app), make_client(app) as http:
        response = await http.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "5"
        assert "sqlite" not in response.text.lower()
        assert (await http.get("/healthz")).status_code == 200


async def test_metrics_exposition(client: httpx.AsyncClient) -> None:
    """Prometheus text with every metric family, pre-initialised at zero."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    for family in (
        "authsvc_login_attempts_total",
        "authsvc_registrations_total",
        "authsvc_refresh_total",
        "authsvc_hash_upgrades_total",
        "authsvc_request_duration_seconds",
    ):
        assert family in response.text
    assert 'authsvc_login_attempts_total{outcome="rate_limited"} 0.0' in response.text


async def test_openapi_is_served(client: httpx.AsyncClient) -> None:
    """OpenAPI 3.1 at /openapi.json; no interactive docs."""
    document = (await client.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    assert (await client.get("/docs")).status_code == 404
