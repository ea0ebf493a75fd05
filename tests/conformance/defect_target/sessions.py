"""Login, refresh and logout of the zoo target.

A login opens a session with a refresh-token family; each refresh spends one token and adds the
next; reusing a spent one ends the session. Access tokens name their session, which ``me``
checks (see ``accounts.authenticated``).
"""

from __future__ import annotations

import secrets
import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.conformance.defect_target import lockout
from tests.conformance.defect_target.tokens import issue_access, new_refresh_token
from tests.conformance.defect_target.web import (
    MAX_PASSWORD,
    Settings,
    canonical_email,
    canonical_password,
    json_body,
    refused,
    text_field,
)


def token_response(settings: Settings, account_id: int, session_id: str, refresh: str) -> Response:
    access = issue_access(
        settings.jwt_key, account_id, session_id, settings.clock.now(), settings.access_ttl
    )
    body = {"access_token": access, "refresh_token": refresh, "token_type": "bearer"}
    return JSONResponse(body)


def _open_session(account_id: int, now: float) -> Any:
    def work(db: sqlite3.Connection) -> tuple[str, str]:
        session_id, refresh = secrets.token_hex(16), new_refresh_token()
        db.execute(
            "INSERT INTO sessions (id, account_id, created) VALUES (?, ?, ?)",
            (session_id, account_id, now),
        )
        db.execute(
            "INSERT INTO refresh_tokens (token, session_id) VALUES (?, ?)", (refresh, session_id)
        )
        return session_id, refresh

    return work


def _find_account(email: str) -> Any:
    sql = "SELECT id, password_hash, failures, locked_until, disabled FROM accounts WHERE email = ?"
    return lambda db: db.execute(sql, (email,)).fetchone()


async def login(request: Request, settings: Settings) -> Response:
    """``POST /sessions``: tokens for the right password, the one refusal for anything else."""
    document = await json_body(request, settings)
    email = canonical_email(text_field(document, "email"), settings)
    password = canonical_password(text_field(document, "password"), settings)
    now, client = settings.clock.now(), request.client.host if request.client else "?"
    per_client = settings.on("client-wide-lockout")
    if per_client and await settings.store.run(lockout.client_locked(settings, client, now)):
        return JSONResponse({"detail": "too many failed logins"}, status_code=403)
    account = await settings.store.run(_find_account(email))
    account_id = await _checked(settings, account, password, now)
    if account_id is None:
        if per_client:
            await settings.store.run(lockout.client_failed(settings, client, now))
        return refused()
    await settings.store.run(lockout.succeeded(settings, account_id))
    session_id, refresh = await settings.store.run(_open_session(account_id, now))
    return token_response(settings, account_id, session_id, refresh)


async def _checked(
    settings: Settings, account: sqlite3.Row | None, password: str, now: float
) -> int | None:
    """The account id if ``password`` logs into ``account`` now, else ``None``."""
    if account is None or len(password) > MAX_PASSWORD:
        # Hash anyway, so an unknown address is as slow as a wrong password (the timing
        # oracle skips it); an over-long password is nobody's, so it is not worth a hash.
        if account is None and len(password) <= MAX_PASSWORD and not settings.on("timing-oracle"):
            await settings.verify(settings.dummy_hash, password)
        return None
    account_id = int(account["id"])
    if settings.on("lockout-race"):
        allowed = account["locked_until"] is None or account["locked_until"] <= now
    elif settings.on("client-wide-lockout"):
        allowed = True  # this shortcut counts failures per client instead
    else:
        allowed = await settings.store.run(lockout.reserve(settings, account_id, now))
    if not allowed:
        await settings.verify(settings.dummy_hash, password)
        return None
    if not await settings.verify(account["password_hash"], password):
        if settings.on("lockout-race"):  # the count read before verifying, plus one
            seen = int(account["failures"])
            await settings.store.run(lockout.racy_record_failure(settings, account_id, seen, now))
        return None
    return None if account["disabled"] else account_id
