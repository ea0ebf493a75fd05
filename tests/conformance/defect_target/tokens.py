"""Access tokens of the zoo target: HS256 JWTs bound to a session; refresh tokens are opaque."""

from __future__ import annotations

import secrets
from typing import Any

import jwt

AUDIENCE = "defect-target"
ISSUER = "http://defect-target.invalid"
ALGORITHM = "HS256"


def new_refresh_token() -> str:
    """An opaque refresh token: 256 random bits."""
    return secrets.token_urlsafe(32)


def issue_access(key: str, account_id: int, session_id: str, now: float, ttl: int) -> str:
    """A signed access token for one session."""
    issued = int(now)
    payload = {
        "sub": str(account_id),
        "sid": session_id,
        "jti": secrets.token_hex(8),
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl,
        "aud": AUDIENCE,
        "iss": ISSUER,
        "typ": "access",
    }
    return jwt.encode(payload, key, algorithm=ALGORITHM)


def read_access(
    token: str, key: str, now: float, *, accept_none: bool = False, check_time: bool = True
) -> dict[str, Any] | None:
    """The payload of a valid access token, or ``None``.

    Times are checked here against the service's clock (which the suite can move), not by PyJWT
    against the host's. ``accept_none`` is the ``alg-none`` defect: a header saying ``none``
    skips the signature, "for tokens of trusted internal callers".
    """
    try:
        header = jwt.get_unverified_header(token)
        if accept_none and str(header.get("alg", "")).lower() == "none":
            payload = jwt.decode(token, options={"verify_signature": False})
        else:
            payload = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                         "verify_aud": False, "verify_iss": False},
            )  # fmt: skip
    except jwt.PyJWTError:
        return None
    expected = {"aud": AUDIENCE, "iss": ISSUER, "typ": "access"}
    if any(payload.get(name) != value for name, value in expected.items()):
        return None
    if check_time and not _current(payload, now):
        return None
    return payload


def _current(payload: dict[str, Any], now: float) -> bool:
    exp, nbf = payload.get("exp"), payload.get("nbf")
    if not isinstance(exp, int) or not isinstance(nbf, int):
        return False
    return nbf <= now < exp
