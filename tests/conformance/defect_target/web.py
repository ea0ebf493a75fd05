"""HTTP plumbing of the zoo target: its settings, JSON bodies, answers and security headers."""

from __future__ import annotations

import asyncio
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error, InvalidHashError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.conformance.defect_target.store import Clock, Store

MAX_BODY_BYTES = 16_384
MIN_PASSWORD, MAX_PASSWORD = 8, 128
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
COMMON_PASSWORDS = frozenset(
    {"password", "12345678", "123456789", "qwertyui", "qwerty123", "iloveyou", "letmein1"}
)


class BadRequestError(Exception):
    """A request refused before any credential check; carries its answer."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.response = JSONResponse({"detail": detail}, status_code=status)


@dataclass
class Settings:
    """Everything a handler needs: the switches, the key, the clock, the store, the policy."""

    defects: frozenset[str]
    jwt_key: str
    clock: Clock
    store: Store
    hasher: PasswordHasher
    threshold: int = 5
    lock_seconds: int = 900
    access_ttl: int = 300
    session_lifetime: int = 86_400
    dummy_hash: str = field(init=False)

    def __post_init__(self) -> None:
        self.dummy_hash = self.hasher.hash("not-a-password-of-anyone")

    def on(self, defect: str) -> bool:
        """Whether defect switch ``defect`` is on."""
        return defect in self.defects

    async def hash(self, password: str) -> str:
        """The argon2id hash, computed off the event loop."""
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, stored: str, password: str) -> bool:
        """Whether ``password`` matches ``stored``, computed off the event loop."""
        return await asyncio.to_thread(self._verify, stored, password)

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (Argon2Error, InvalidHashError):
            return False


def refused() -> JSONResponse:
    """The one answer to every failed login: unknown, wrong, locked or disabled alike."""
    return JSONResponse({"detail": "invalid credentials"}, status_code=401)


async def json_body(request: Request, settings: Settings) -> dict[str, Any]:
    """The request's JSON object, or ``BadRequestError`` (415, 413, 400 or 422)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise BadRequestError(415, "expected application/json")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequestError(413, "request body too large")
    if settings.on("malformed-json-500"):
        document = json.loads(raw)  # the shortcut: the framework will surely catch it
    else:
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError):
            raise BadRequestError(400, "malformed JSON") from None
    if not isinstance(document, dict):
        raise BadRequestError(422, "expected a JSON object")
    return document


def text_field(document: dict[str, Any], name: str) -> str:
    """A required string field, or ``BadRequestError`` 422."""
    value = document.get(name)
    if not isinstance(value, str):
        raise BadRequestError(422, f"{name}: expected a string")
    return value


def canonical_email(email: str, settings: Settings) -> str:
    """The account key of an address: NFKC, trimmed, case-folded (or as typed: a defect)."""
    if settings.on("case-sensitive-email"):
        return email
    return unicodedata.normalize("NFKC", email).strip().casefold()


def canonical_password(password: str, settings: Settings) -> str:
    """NFC, so composed and decomposed accents are one password (or stripped: a defect)."""
    if settings.on("strip-password"):
        password = password.strip()
    return unicodedata.normalize("NFC", password)


def check_new_password(password: str, email: str) -> None:
    """Length and blocklist rules of a new password, or ``BadRequestError`` 422."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise BadRequestError(422, f"password: {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    folded = password.casefold()
    local = email.partition("@")[0].casefold()
    if folded in COMMON_PASSWORDS or (len(local) >= 3 and local in folded):
        raise BadRequestError(422, "password: too common or derived from the address")


def check_email(email: str) -> None:
    """An address with a local part and a dotted domain, or ``BadRequestError`` 422."""
    if not EMAIL.fullmatch(email.strip()):
        raise BadRequestError(422, "email: not an e-mail address")


def bearer(request: Request) -> str | None:
    """The bearer token of the request, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class SecurityHeaders:
    """Adds nosniff, and no-store unless that defect is on, to every response."""

    def __init__(self, app: ASGIApp, *, no_store: bool) -> None:
        self.app = app
        self.headers = [(b"x-content-type-options", b"nosniff")]
        if no_store:
            self.headers.append((b"cache-control", b"no-store"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def empty(status: int) -> Response:
    """A response without a body."""
    return Response(status_code=status)
