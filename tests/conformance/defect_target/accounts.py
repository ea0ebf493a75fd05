"""Registration and ``me`` of the zoo target, and the session check every token use goes through."""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.conformance.defect_target.tokens import read_access
from tests.conformance.defect_target.web import (
    BadRequestError,
    Settings,
    bearer,
    canonical_email,
    canonical_password,
    check_email,
    check_new_password,
    json_body,
    text_field,
)


def _find(email: str) -> Any:
    return lambda db: db.execute("SELECT id FROM accounts WHERE email = ?", (email,)).fetchone()


def _insert(email: str, password_hash: str) -> Any:
    def insert(db: sqlite3.Connection) -> int:
        cursor = db.execute(
            "INSERT INTO accounts (email, password_hash) VALUES (?, ?)", (email, password_hash)
        )
        return int(cursor.lastrowid or 0)

    return insert


async def register(request: Request, settings: Settings) -> Response:
    """``POST /users``: 201 with the new account, 409 for a taken address, 4xx for bad input."""
    document = await json_body(request, settings)
    email, password = text_field(document, "email"), text_field(document, "password")
    check_email(email)
    email = canonical_email(email, settings)
    password = canonical_password(password, settings)
    check_new_password(password, email)
    if await settings.store.run(_find(email)) is not None:
        raise BadRequestError(409, "this address cannot be registered")
    password_hash = await settings.hash(password)
    if settings.on("register-race"):
        # The shortcut: the address was free a moment ago, so the insert cannot conflict.
        account_id = await settings.store.run(_insert(email, password_hash))
    else:
        try:
            account_id = await settings.store.run(_insert(email, password_hash))
        except sqlite3.IntegrityError:  # registered meanwhile by a concurrent request
            raise BadRequestError(409, "this address cannot be registered") from None
    return JSONResponse({"id": account_id, "email": email}, status_code=201)


def _live_session(session_id: str, not_before: float) -> Any:
    def find(db: sqlite3.Connection) -> sqlite3.Row | None:
        row: sqlite3.Row | None = db.execute(
            "SELECT s.account_id FROM sessions s JOIN accounts a ON a.id = s.account_id"
            " WHERE s.id = ? AND s.revoked = 0 AND a.disabled = 0 AND s.created > ?",
            (session_id, not_before),
        ).fetchone()
        return row

    return find


async def authenticated(request: Request, settings: Settings) -> dict[str, Any] | None:
    """The payload of the request's access token if it and its session are alive, or ``None``."""
    token = bearer(request)
    now = settings.clock.now()
    payload = (
        read_access(token, settings.jwt_key, now, accept_none=settings.on("alg-none"))
        if token
        else None
    )
    if payload is None or settings.on("logout-keeps-access"):
        return payload  # the shortcut: a valid signature is enough, no database round trip
    not_before = now - settings.session_lifetime
    alive = await settings.store.run(_live_session(str(payload.get("sid")), not_before))
    return payload if alive is not None else None


async def me(request: Request, settings: Settings) -> Response:
    """``GET /me``: the account of the access token, or 401."""
    payload = await authenticated(request, settings)
    if payload is None:
        return JSONResponse({"detail": "not authenticated"}, status_code=401)
    row = await settings.store.run(
        lambda db: db.execute(
            "SELECT id, email FROM accounts WHERE id = ?", (payload.get("sub"),)
        ).fetchone()
    )
    if row is None:
        return JSONResponse({"detail": "not authenticated"}, status_code=401)
    return JSONResponse({"id": row["id"], "email": row["email"]})
