"""Helpers shared by the authsvc unit tests (fixtures live in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from authsvc.deps import Services

__all__ = [
    "CLIENT_ADDR",
    "EMAIL",
    "PASSWORD",
    "SIGNING_KEY",
    "Api",
    "make_client",
    "metric_value",
    "services_of",
]

SIGNING_KEY = {"kid": "unit-1", "secret": "unit-test-signing-secret-0123456789abcdef"}
PASSWORD = "correct horse battery staple"
EMAIL = "Ada.Lovelace@Example.com"
# The peer address the in-process client appears to connect from.
CLIENT_ADDR = "198.51.100.7"


def services_of(app: FastAPI) -> Services:
    """The service container of ``app``."""
    services: Services = app.state.services
    return services


def make_client(app: FastAPI, peer: str = CLIENT_ADDR) -> httpx.AsyncClient:
    """An in-process client for ``app`` that appears to connect from ``peer``."""
    transport = httpx.ASGITransport(app=app, client=(peer, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@dataclass
class Api:
    """Short names for the calls most tests make."""

    http: httpx.AsyncClient

    async def register(self, email: str = EMAIL, password: str = PASSWORD) -> httpx.Response:
        """POST /v1/users."""
        return await self.http.post("/v1/users", json={"email": email, "password": password})

    async def login(self, email: str = EMAIL, password: str = PASSWORD) -> httpx.Response:
        """POST /v1/sessions."""
        return await self.http.post("/v1/sessions", json={"email": email, "password": password})

    async def tokens(self, email: str = EMAIL, password: str = PASSWORD) -> dict[str, Any]:
        """Log in and return the token pair (asserting success)."""
        response = await self.login(email, password)
        assert response.status_code == 200, response.text
        pair: dict[str, Any] = response.json()
        return pair

    async def me(self, access_token: str) -> httpx.Response:
        """GET /v1/me with a bearer token."""
        return await self.http.get("/v1/me", headers={"Authorization": f"Bearer {access_token}"})

    async def refresh(self, refresh_token: Any) -> httpx.Response:
        """POST /v1/sessions/refresh."""
        return await self.http.post("/v1/sessions/refresh", json={"refresh_token": refresh_token})


def metric_value(text: str, name: str, **labels: str) -> float:
    """Read one sample from a Prometheus exposition (0.0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        metric, _, label_text = series.partition("{")
        found = ",".join(sorted(label_text.rstrip("}").split(","))) if label_text else ""
        if metric == name and found == wanted:
            return float(value)
    return 0.0
