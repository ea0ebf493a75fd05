"""Refresh and logout of the zoo target: spending refresh tokens and ending sessions.

Clean: the lookup, the checks and the spending of a refresh token happen in one database call.
The ``refresh-race`` defect does them in separate calls (each an ``await``), issuing the next
token before marking the old one spent, so simultaneous requests all find it unspent.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.conformance.defect_target.accounts import authenticated
from tests.conformance.defect_target.sessions import token_response
from tests.conformance.defect_target.tokens import new_refresh_token, read_access
from tests.conformance.defect_target.web import BadRequestError, Settings, bearer, empty, json_body

Redeemed = tuple[int, str, str]  # account id, session id, the next refresh token


def _lookup(db: sqlite3.Connection, token: str, not_before: float) -> sqlite3.Row | None:
    """The live session of ``token`` (with whether the token is spent), or ``None``."""
    row: sqlite3.Row | None = db.execute(
        "SELECT r.used, r.session_id, s.account_id FROM refresh_tokens r"
        " JOIN sessions s ON s.id = r.session_id JOIN accounts a ON a.id = s.account_id"
        " WHERE r.token = ? AND s.revoked = 0 AND a.disabled = 0 AND s.created > ?",
        (token, not_before),
    ).fetchone()
    return row


def _end_session(db: sqlite3.Connection, session_id: str) -> None:
    db.execute("UPDATE sessions SET revoked = 1 WHERE id = ?", (session_id,))


def _next_token(db: sqlite3.Connection, session_id: str) -> str:
    token = new_refresh_token()
    db.execute("INSERT INTO refresh_tokens (token, session_id) VALUES (?, ?)", (token, session_id))
    return token


def _spend(db: sqlite3.Connection, token: str) -> None:
    db.execute("UPDATE refresh_tokens SET used = 1 WHERE token = ?", (token,))


def _reused(settings: Settings, db: sqlite3.Connection, session_id: str) -> None:
    """A spent token came back: someone holds a copy, so the whole family ends."""
    if not settings.on("reuse-keeps-family"):  # the shortcut: refusing this one is enough
        _end_session(db, session_id)


def _redeem(settings: Settings, token: str, not_before: float) -> Any:
    def work(db: sqlite3.Connection) -> Redeemed | None:
        row = _lookup(db, token, not_before)
        if row is None:
            return None
        if row["used"]:
            _reused(settings, db, row["session_id"])
            return None
        _spend(db, token)
        return int(row["account_id"]), row["session_id"], _next_token(db, row["session_id"])

    return work


async def _redeem_racy(settings: Settings, token: str, not_before: float) -> Redeemed | None:
    store = settings.store
    row = await store.run(lambda db: _lookup(db, token, not_before))
    if row is None:
        return None
    if row["used"]:
        await store.run(lambda db: _reused(settings, db, row["session_id"]))
        return None
    session_id = row["session_id"]
    following = await store.run(lambda db: _next_token(db, session_id))
    await store.run(lambda db: _spend(db, token))
    return int(row["account_id"]), session_id, following


async def refresh(request: Request, settings: Settings) -> Response:
    """``POST /sessions/refresh``: the next token pair for an unspent refresh token."""
    token = (await json_body(request, settings)).get("refresh_token")
    if not isinstance(token, str) or not token:
        raise BadRequestError(422, "refresh_token: expected a non-empty string")
    now = settings.clock.now()
    # A caller who also sends an access token says who it is; it may have expired (that is why
    # it is refreshing), but it must be genuine.
    presented = bearer(request)
    caller = read_access(presented, settings.jwt_key, now, check_time=False) if presented else None
    owner = await settings.store.run(lambda db: _lookup(db, token, now - settings.session_lifetime))
    foreign = caller is not None and owner is not None and caller["sub"] != str(owner["account_id"])
    if foreign and not settings.on("refresh-any-account"):
        return JSONResponse({"detail": "refresh token of another account"}, status_code=403)
    not_before = now - settings.session_lifetime
    if settings.on("refresh-race"):
        redeemed = await _redeem_racy(settings, token, not_before)
    else:
        redeemed = await settings.store.run(_redeem(settings, token, not_before))
    if redeemed is None:
        return JSONResponse({"detail": "invalid refresh token"}, status_code=401)
    account_id, session_id, following = redeemed
    if settings.on("refresh-any-account") and caller is not None:
        account_id = int(caller["sub"])  # the shortcut: the caller is who its token says
    return token_response(settings, account_id, session_id, following)


async def logout(request: Request, settings: Settings) -> Response:
    """``POST /sessions/logout``: ends the caller's session (204), or 401 without a live one."""
    payload = await authenticated(request, settings)
    if payload is None:
        return JSONResponse({"detail": "not authenticated"}, status_code=401)
    document = await json_body(request, settings) if await request.body() else {}
    token = document.get("refresh_token")
    session_id = str(payload.get("sid"))
    if isinstance(token, str) and token:
        row = await settings.store.run(lambda db: _lookup(db, token, 0.0))
        if row is not None and settings.on("logout-any-session"):
            session_id = row["session_id"]  # the shortcut: end the session the token names
        elif row is not None and str(row["account_id"]) != payload.get("sub"):
            return JSONResponse({"detail": "refresh token of another account"}, status_code=403)
    await settings.store.run(lambda db: _end_session(db, session_id))
    return empty(204)
