"""An in-process login service behind ``httpx.MockTransport``, with switches for the defects the
race, lockout and ownership checks look for. The checks are called as plain functions on it.

Not the conformance defect zoo (a real process, ``tests/conformance/defect_target/``): this one
is for unit tests of the checks' own logic - what counts as a guess, when the client-wide
finding fires - and runs in milliseconds.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from quality_gates.conformance.client import TargetClient
from quality_gates.conformance.evidence import EvidenceLog
from quality_gates.conformance.target import Target
from quality_gates.profile import parse_profile

BASE_URL = "http://fake.test"
THRESHOLD = 3


@dataclass
class FakeService:
    """Accounts, failure counts and sessions; each switch turns one defect on."""

    client_wide_lock: bool = False
    lock_status: int = 401
    racy_lockout: bool = False
    validates_empty_password: bool = False
    logout_revokes_any_token: bool = False
    passwords: dict[str, str] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # token -> email
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> email
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body: dict[str, Any] = json.loads(request.content or b"{}")
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        route = (request.method, request.url.path)
        if route == ("POST", "/users"):
            return self._register(body)
        if route == ("POST", "/login"):
            if self.racy_lockout:
                return self._login(body)
            with self.lock:
                return self._login(body)
        if route == ("GET", "/me") and bearer in self.sessions:
            return httpx.Response(200, json={"email": self.sessions[bearer]})
        if route == ("POST", "/logout") and bearer in self.sessions:
            owner = self.refresh_tokens.get(body.get("refresh_token", ""))
            if owner == self.sessions[bearer] or (owner and self.logout_revokes_any_token):
                self._end(owner)
            return httpx.Response(204)
        return httpx.Response(401, json={"error": "unauthorized"})

    def _register(self, body: dict[str, Any]) -> httpx.Response:
        email = str(body.get("email", "")).lower()
        with self.lock:
            if email in self.passwords:
                return httpx.Response(409, json={"error": "taken"})
            self.passwords[email] = str(body.get("password", ""))
        return httpx.Response(201, json={})

    def _login(self, body: dict[str, Any]) -> httpx.Response:
        email, password = str(body.get("email", "")).lower(), body.get("password")
        if self.validates_empty_password and not password:
            return httpx.Response(400, json={"error": "password required"})
        counted = "*" if self.client_wide_lock else email
        if self.failures.get(counted, 0) >= THRESHOLD:
            return httpx.Response(self.lock_status, json={"error": "bad credentials"})
        time.sleep(0.003)  # the credential check: the racy variant counts only after it
        if self.passwords.get(email) != password:
            self.failures[counted] = self.failures.get(counted, 0) + 1
            return httpx.Response(401, json={"error": "bad credentials"})
        self.failures.pop(counted, None)
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.sessions[access], self.refresh_tokens[refresh] = email, email
        return httpx.Response(200, json={"access_token": access, "refresh_token": refresh})

    def _end(self, email: str) -> None:
        for tokens in (self.sessions, self.refresh_tokens):
            for token in [t for t, owner in tokens.items() if owner == email]:
                del tokens[token]


def fake_target(service: FakeService, **lockout: object) -> Target:
    """A ``Target`` whose connection talks to ``service``; ``lockout`` overrides claim keys."""
    logout: dict[str, Any] = {"method": "POST", "path": "/logout", "success": [204]}
    logout["fields"] = {"refresh_token": "refresh_token"}
    document: dict[str, Any] = {
        "target": {"name": "fake"},
        "endpoints": {
            "register": {"method": "POST", "path": "/users", "success": [201]},
            "login": {"method": "POST", "path": "/login"},
            "me": {"method": "GET", "path": "/me"},
            "logout": logout,
        },
        "tokens": {"access": "access_token", "refresh": "refresh_token"},
        "claims": {"lockout": {"threshold": THRESHOLD, "lock_seconds": 60, **lockout}},
        "races": {"trials": 20, "parties": 4},
    }
    target = Target(parse_profile(document), BASE_URL)
    transport = httpx.MockTransport(service.handle)
    target.connection._http = httpx.Client(transport=transport, base_url=BASE_URL)
    return target


def client_of(target: Target) -> TargetClient:
    """A recording client on ``target``, as the suite's ``client`` fixture makes one."""
    return TargetClient(target.connection, EvidenceLog())
