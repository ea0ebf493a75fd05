"""authsvc's endpoints as methods, for the test clients that speak to it.

The in-process client (``tests/property/_service.py``) and the live one
(``tests/integration/_client.py``) differ only in how a request travels; each provides
``request`` and inherits the calls below, so a path or body is spelled once.
"""

from __future__ import annotations

from typing import Any

import httpx


class AuthsvcCalls:
    """``register``, ``login``, ``refresh``, ``me``, ``logout``, ``change_password``."""

    def request(
        self, method: str, path: str, *, json: Any = None, token: str | None = None
    ) -> httpx.Response:
        """Send one request; a bearer ``token`` when given."""
        raise NotImplementedError

    def register(self, email: str, password: str) -> httpx.Response:
        """``POST /v1/users``."""
        return self.request("POST", "/v1/users", json={"email": email, "password": password})

    def login(self, email: str, password: str) -> httpx.Response:
        """``POST /v1/sessions``."""
        return self.request("POST", "/v1/sessions", json={"email": email, "password": password})

    def refresh(self, refresh_token: str) -> httpx.Response:
        """``POST /v1/sessions/refresh``."""
        return self.request("POST", "/v1/sessions/refresh", json={"refresh_token": refresh_token})

    def me(self, access_token: str) -> httpx.Response:
        """``GET /v1/me``."""
        return self.request("GET", "/v1/me", token=access_token)

    def logout(self, access_token: str) -> httpx.Response:
        """``DELETE /v1/sessions/current``."""
        return self.request("DELETE", "/v1/sessions/current", token=access_token)

    def change_password(self, access_token: str, current: str, new: str) -> httpx.Response:
        """``POST /v1/me/password``."""
        return self.request(
            "POST",
            "/v1/me/password",
            json={"current_password": current, "new_password": new},
            token=access_token,
        )
