"""Access tokens (HS256 JWTs) and opaque refresh tokens.

Access tokens are short-lived JWTs signed with HS256, and verification accepts HS256 only:
the algorithm is never taken from the token header, so ``alg: none`` and algorithm
switching are refused. Keys rotate by ``kid``: the first configured key signs, every
configured key verifies. Refresh tokens are random strings stored only as their SHA-256.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from authsvc.clock import Clock

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "ALGORITHM",
    "MAX_LEEWAY",
    "MAX_TOKEN_LENGTH",
    "MIN_SECRET_BYTES",
    "AccessClaims",
    "InvalidToken",
    "SigningKey",
    "TokenService",
    "hash_refresh_token",
    "new_refresh_token",
]

ALGORITHM = "HS256"
ACCESS_TOKEN_TYPE = "access"
#: HS256 keys shorter than the hash output weaken it (RFC 7518 section 3.2).
MIN_SECRET_BYTES = 32
#: RFC 7519 advises clock-skew leeway of "no more than a few minutes".
MAX_LEEWAY = timedelta(minutes=5)
#: Our tokens are a few hundred bytes; anything far larger is refused before parsing.
MAX_TOKEN_LENGTH = 8192

_REQUIRED_CLAIMS = ("iss", "aud", "sub", "sid", "iat", "nbf", "exp", "jti", "typ")


@dataclass(frozen=True)
class SigningKey:
    """An HS256 key and its id. The secret is kept out of ``repr`` so it never gets logged."""

    kid: str
    secret: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.kid:
            raise ValueError("signing key id must not be empty")
        if len(self.secret.encode("utf-8")) < MIN_SECRET_BYTES:
            raise ValueError(f"signing key {self.kid!r}: secret must be at least 32 bytes")


@dataclass(frozen=True)
class AccessClaims:
    """The verified claims of an access token; times are timezone-aware UTC."""

    sub: str
    sid: str
    jti: str
    iat: datetime
    exp: datetime


class InvalidToken(Exception):  # noqa: N818 (the public name is part of the interface)
    """An access token was refused; ``reason`` is a stable code, safe to log or count.

    Codes: ``malformed``, ``bad_signature``, ``unknown_kid``, ``expired``,
    ``not_yet_valid``, ``wrong_audience``, ``wrong_issuer``, ``missing_claim``,
    ``wrong_type``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenService:
    """Issues and verifies access tokens, with time taken from an injectable clock."""

    def __init__(
        self,
        keys: Sequence[SigningKey],
        *,
        issuer: str,
        audience: str,
        clock: Clock,
        access_ttl: timedelta = timedelta(minutes=15),
        leeway: timedelta = timedelta(seconds=30),
    ) -> None:
        if not keys:
            raise ValueError("at least one signing key is required")
        kids = [key.kid for key in keys]
        if len(set(kids)) != len(kids):
            raise ValueError("signing key ids must be unique")
        if not issuer or not audience:
            raise ValueError("issuer and audience must not be empty")
        if access_ttl < timedelta(seconds=1):
            raise ValueError("access_ttl must be at least one second")
        if not timedelta(0) <= leeway <= MAX_LEEWAY:
            raise ValueError("leeway must be between 0 and 5 minutes")
        self._signing_key = keys[0]
        self._keys: Mapping[str, SigningKey] = {key.kid: key for key in keys}
        self._issuer = issuer
        self._audience = audience
        self._clock = clock
        self._ttl_seconds = int(access_ttl.total_seconds())
        self._leeway_seconds = leeway.total_seconds()

    def issue_access(self, *, sub: str, sid: str) -> tuple[str, int]:
        """Return a new access token for session ``sid`` of user ``sub``, and its TTL in s."""
        if not sub or not sid:
            raise ValueError("sub and sid must not be empty")
        issued = int(self._clock.now().timestamp())
        payload = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": sub,
            "sid": sid,
            "iat": issued,
            "nbf": issued,
            "exp": issued + self._ttl_seconds,
            "jti": uuid.uuid4().hex,
            "typ": ACCESS_TOKEN_TYPE,
        }
        token = jwt.encode(
            payload,
            self._signing_key.secret,
            algorithm=ALGORITHM,
            headers={"kid": self._signing_key.kid, "typ": "JWT"},
        )
        return token, self._ttl_seconds

    def decode_access(self, token: str) -> AccessClaims:
        """Verify ``token`` and return its claims; raise :class:`InvalidToken` otherwise."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("malformed")
        key = self._key_for(token)
        try:
            # exp/nbf/iat checks are switched off here and done below against the
            # injectable clock: PyJWT would compare with the real wall clock, and tests
            # (and the offset-file hook) must be able to move time for the service.
            payload = jwt.decode(
                token,
                key.secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "strict_aud": True,
                    "require": list(_REQUIRED_CLAIMS),
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(_reason_for(exc)) from None
        return self._check_claims(payload)

    def _key_for(self, token: str) -> SigningKey:
        try:
            header = jwt.get_unverified_header(token)
        except (jwt.PyJWTError, ValueError, TypeError):
            raise InvalidToken("malformed") from None
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("bad_signature")
        if header.get("typ", "JWT") != "JWT":
            raise InvalidToken("wrong_type")
        kid = header.get("kid")
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidToken("unknown_kid")
        return key

    def _check_claims(self, payload: Mapping[str, Any]) -> AccessClaims:
        if payload.get("typ") != ACCESS_TOKEN_TYPE:
            raise InvalidToken("wrong_type")
        sub, sid, jti = (payload.get(name) for name in ("sub", "sid", "jti"))
        if not (isinstance(sub, str) and sub and isinstance(sid, str) and sid):
            raise InvalidToken("missing_claim")
        if not (isinstance(jti, str) and jti):
            raise InvalidToken("missing_claim")
        iat, nbf, exp = (_numeric_date(payload.get(name)) for name in ("iat", "nbf", "exp"))
        now = self._clock.now().timestamp()
        leeway = self._leeway_seconds
        if now > exp + leeway:
            raise InvalidToken("expired")
        if nbf > now + leeway or iat > now + leeway:
            raise InvalidToken("not_yet_valid")
        try:
            return AccessClaims(
                sub=sub,
                sid=sid,
                jti=jti,
                iat=datetime.fromtimestamp(iat, UTC),
                exp=datetime.fromtimestamp(exp, UTC),
            )
        except (OverflowError, OSError, ValueError):
            raise InvalidToken("malformed") from None


def _numeric_date(value: object) -> float:
    # bool is an int subclass, and a JSON true must not pass for the second 1.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidToken("malformed")
    if not math.isfinite(value):
        raise InvalidToken("malformed")
    return float(value)


def _reason_for(exc: jwt.PyJWTError) -> str:
    # Order matters: InvalidSignatureError is a DecodeError subclass.
    mapping: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
        (jwt.InvalidSignatureError, "bad_signature"),
        (jwt.InvalidAlgorithmError, "bad_signature"),
        (jwt.InvalidAudienceError, "wrong_audience"),
        (jwt.InvalidIssuerError, "wrong_issuer"),
        (jwt.MissingRequiredClaimError, "missing_claim"),
        (jwt.ExpiredSignatureError, "expired"),
        (jwt.ImmatureSignatureError, "not_yet_valid"),
    )
    for kind, reason in mapping:
        if isinstance(exc, kind):
            return reason
    return "malformed"


def new_refresh_token() -> str:
    """Return a new opaque refresh token: 256 bits from the OS CSPRNG, URL-safe base64."""
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    """Return the SHA-256 hex digest a refresh token is stored and looked up by.

    Never raises: any string from a request body hashes (to something that matches no
    issued token), so garbage input ends as "not found", not as an error.
    """
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
