"""Tests for authsvc.security.tokens: access-token tampering, rotation, expiry; refresh tokens."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from authsvc.clock import ManualClock
from authsvc.security.tokens import (
    AccessClaims,
    InvalidToken,
    SigningKey,
    TokenService,
    hash_refresh_token,
    new_refresh_token,
)

START = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
# 64 bytes each, so that re-signing with HS512 in a test raises no key-length warning.
K1 = SigningKey("k1", "k1-" + "a" * 61)
K2 = SigningKey("k2", "k2-" + "b" * 61)
OTHER_SECRET = "attacker-" + "c" * 55
ISSUER = "authsvc"
AUDIENCE = "authsvc-api"
TTL = 900
LEEWAY = 30


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def _service(clock: ManualClock, *keys: SigningKey, **overrides: Any) -> TokenService:
    options: dict[str, Any] = {
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "clock": clock,
        "access_ttl": timedelta(seconds=TTL),
        "leeway": timedelta(seconds=LEEWAY),
    }
    options.update(overrides)
    return TokenService(keys or (K1,), **options)


@pytest.fixture
def service(clock: ManualClock) -> TokenService:
    return _service(clock)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _segments(token: str) -> list[dict[str, Any]]:
    header, payload, _ = token.split(".")
    return [json.loads(_unb64(header)), json.loads(_unb64(payload))]


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(START.timestamp())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "sid": "session-1",
        "iat": now,
        "nbf": now,
        "exp": now + TTL,
        "jti": "0" * 32,
        "typ": "access",
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _sign(claims: dict[str, Any], *, secret: str = K1.secret, **header: Any) -> str:
    headers = {"kid": "k1", **header}
    algorithm = headers.pop("alg", "HS256")
    return jwt.encode(claims, secret, algorithm=algorithm, headers=headers)


def _reason(service: TokenService, token: str) -> str:
    with pytest.raises(InvalidToken) as caught:
        service.decode_access(token)
    return caught.value.reason


def test_round_trip(service: TokenService) -> None:
    """An issued token decodes to its subject, session and times."""
    token, expires_in = service.issue_access(sub="user-1", sid="session-1")
    assert expires_in == TTL
    claims = service.decode_access(token)
    assert claims == AccessClaims(
        sub="user-1",
        sid="session-1",
        jti=claims.jti,
        iat=START,
        exp=START + timedelta(seconds=TTL),
    )
    assert re.fullmatch(r"[0-9a-f]{32}", claims.jti)


def test_token_shape(service: TokenService) -> None:
    """HS256 with kid and typ headers; exactly the documented claims, no secrets or PII."""
    token, _ = service.issue_access(sub="user-1", sid="session-1")
    header, payload = _segments(token)
    assert header == {"alg": "HS256", "typ": "JWT", "kid": "k1"}
    assert set(payload) == {"iss", "aud", "sub", "sid", "iat", "nbf", "exp", "jti", "typ"}
    assert payload["typ"] == "access"
    assert payload["iss"] == ISSUER
    assert payload["aud"] == AUDIENCE
    assert payload["nbf"] == payload["iat"] == int(START.timestamp())
    assert K1.secret not in token


def test_every_token_is_unique(service: TokenService) -> None:
    """Same user, same session, same instant: still a new jti and a new token."""
    tokens = {service.issue_access(sub="u", sid="s")[0] for _ in range(200)}
    assert len(tokens) == 200


def _tamper_header(token: str) -> str:
    header, payload, signature = token.split(".")
    changed = json.loads(_unb64(header)) | {"kid": "k1", "x": 1}
    return ".".join([_b64(json.dumps(changed).encode()), payload, signature])


def _tamper_payload(token: str) -> str:
    header, payload, signature = token.split(".")
    changed = json.loads(_unb64(payload)) | {"sub": "admin"}
    return ".".join([header, _b64(json.dumps(changed).encode()), signature])


def _tamper_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    # The first character: the last one may carry only padding bits.
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return ".".join([header, payload, flipped])


@pytest.mark.parametrize("tamper", [_tamper_header, _tamper_payload, _tamper_signature])
def test_tampering_with_any_segment_is_rejected(service: TokenService, tamper: Any) -> None:
    """A change to the header, payload or signature breaks the signature."""
    token, _ = service.issue_access(sub="user-1", sid="session-1")
    assert _reason(service, tamper(token)) == "bad_signature"


@pytest.mark.parametrize("segment", [0, 1, 2])
def test_every_single_character_change_is_rejected(service: TokenService, segment: int) -> None:
    """Flipping any one character (bar padding bits) of a segment is caught."""
    token, _ = service.issue_access(sub="user-1", sid="session-1")
    parts = token.split(".")
    for index in range(len(parts[segment]) - 1):
        original = parts[segment][index]
        changed = list(parts)
        changed[segment] = (
            parts[segment][:index] + ("x" if original != "x" else "y") + parts[segment][index + 1 :]
        )
        with pytest.raises(InvalidToken):
            service.decode_access(".".join(changed))


def test_alg_none_is_rejected(service: TokenService) -> None:
    """An unsigned token is refused even with a known kid and valid claims."""
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": "k1"}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    for token in (f"{header}.{payload}.", f"{header}.{payload}.c2ln"):
        assert _reason(service, token) == "bad_signature"


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
def test_algorithm_switch_is_rejected(service: TokenService, alg: str) -> None:
    """The algorithm comes from configuration, never from the header, even with the right key."""
    assert _reason(service, _sign(_claims(), alg=alg)) == "bad_signature"


def test_resigned_with_another_key_is_rejected(service: TokenService) -> None:
    """HS256 with the right kid but a different secret fails the signature."""
    assert _reason(service, _sign(_claims(), secret=OTHER_SECRET)) == "bad_signature"


def test_unknown_or_missing_kid_is_rejected(service: TokenService) -> None:
    """A kid the service does not hold is refused, as is a token without one."""
    assert _reason(service, _sign(_claims(), secret=K2.secret, kid="k2")) == "unknown_kid"
    no_kid = jwt.encode(_claims(), K1.secret, algorithm="HS256")
    assert _reason(service, no_kid) == "unknown_kid"
    odd_kid = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": ["k1"]}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    assert _reason(service, f"{odd_kid}.{payload}.c2ln") in {"malformed", "unknown_kid"}


def test_a_signed_payload_that_is_not_json_is_malformed(service: TokenService) -> None:
    """An error of PyJWT's that no reason names (here: a payload that is not JSON, correctly
    signed) falls back to "malformed", never to no reason at all."""
    token = jwt.api_jws.encode(b"not json", K1.secret, algorithm="HS256", headers={"kid": "k1"})
    assert _reason(service, token) == "malformed"


def test_key_rotation(clock: ManualClock) -> None:
    """Old tokens verify while the old key is listed, and fail once it is removed."""
    old_service = _service(clock, K1)
    old_token, _ = old_service.issue_access(sub="user-1", sid="session-1")

    rotated = _service(clock, K2, K1)
    assert rotated.decode_access(old_token).sub == "user-1"
    new_token, _ = rotated.issue_access(sub="user-1", sid="session-1")
    assert _segments(new_token)[0]["kid"] == "k2"
    assert rotated.decode_access(new_token).sub == "user-1"

    retired = _service(clock, K2)
    assert _reason(retired, old_token) == "unknown_kid"
    assert retired.decode_access(new_token).sub == "user-1"


def test_wrong_audience_and_issuer(clock: ManualClock, service: TokenService) -> None:
    """A token minted for another audience or by another issuer is refused."""
    token, _ = service.issue_access(sub="user-1", sid="session-1")
    assert _reason(_service(clock, audience="other-api"), token) == "wrong_audience"
    assert _reason(_service(clock, issuer="other-issuer"), token) == "wrong_issuer"
    assert _reason(service, _sign(_claims(aud=[AUDIENCE, "other"]))) == "wrong_audience"


@pytest.mark.parametrize("claim", ["iss", "aud", "sub", "sid", "iat", "nbf", "exp", "jti", "typ"])
def test_missing_claims_are_rejected(service: TokenService, claim: str) -> None:
    """Every claim the service relies on is required."""
    assert _reason(service, _sign(_claims(**{claim: None}))) == "missing_claim"


@pytest.mark.parametrize("claim", ["sub", "sid", "jti"])
def test_empty_identifiers_are_rejected(service: TokenService, claim: str) -> None:
    """An empty subject, session or id is as good as missing."""
    with pytest.raises(InvalidToken):
        service.decode_access(_sign(_claims(**{claim: ""})))


@pytest.mark.parametrize("value", ["soon", True, [1], 1e400])
def test_non_numeric_times_are_malformed(service: TokenService, value: Any) -> None:
    """exp must be a number; booleans, strings and infinities are not."""
    claims = _claims()
    claims["exp"] = value
    assert _reason(service, _sign(claims)) == "malformed"


def test_wrong_token_type(service: TokenService) -> None:
    """A refresh- or id-typed token, or an odd header typ, is not an access token."""
    assert _reason(service, _sign(_claims(typ="refresh"))) == "wrong_type"
    assert _reason(service, _sign(_claims(), typ="at+jwt")) == "wrong_type"


def test_expiry_boundary(clock: ManualClock, service: TokenService) -> None:
    """Valid up to exp + leeway inclusive, invalid just after."""
    token, _ = service.issue_access(sub="user-1", sid="session-1")
    expiry = START + timedelta(seconds=TTL)
    clock.set(expiry - timedelta(seconds=1))
    assert service.decode_access(token).sub == "user-1"
    clock.set(expiry + timedelta(seconds=LEEWAY) - timedelta(milliseconds=1))
    assert service.decode_access(token).sub == "user-1"
    clock.set(expiry + timedelta(seconds=LEEWAY))
    assert service.decode_access(token).sub == "user-1"
    clock.set(expiry + timedelta(seconds=LEEWAY, milliseconds=1))
    assert _reason(service, token) == "expired"
    clock.advance(600)
    assert _reason(service, token) == "expired"


def test_future_tokens_are_rejected_beyond_leeway(clock: ManualClock) -> None:
    """nbf or iat in the future: accepted within the leeway, refused beyond it."""
    service = _service(clock)
    now = int(START.timestamp())
    assert service.decode_access(_sign(_claims(nbf=now + LEEWAY, iat=now + LEEWAY))).sid
    assert _reason(service, _sign(_claims(nbf=now + 600))) == "not_yet_valid"
    assert _reason(service, _sign(_claims(iat=now + 600))) == "not_yet_valid"
    token, _ = service.issue_access(sub="user-1", sid="session-1")
    clock.advance(-(LEEWAY + 1))
    assert _reason(service, token) == "not_yet_valid"


def test_expired_ten_minutes_ago(service: TokenService) -> None:
    """A token that expired long before now is refused."""
    now = int(START.timestamp())
    expired = _sign(_claims(iat=now - 1500, nbf=now - 1500, exp=now - 600))
    assert _reason(service, expired) == "expired"


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b.c", "..", "x" * 9000, "\u00e9.\u00e9.\u00e9", "Bearer x.y.z", "e30.e30.e30"],
)
def test_garbage_is_malformed(service: TokenService, token: str) -> None:
    """Garbage is refused with a code, never another exception."""
    with pytest.raises(InvalidToken):
        service.decode_access(token)


@given(st.text(max_size=300))
def test_decode_only_ever_raises_invalid_token(token: str) -> None:
    """Arbitrary text never escapes as anything but InvalidToken."""
    service = _service(ManualClock(START))
    with pytest.raises(InvalidToken):
        service.decode_access(token)


def test_configuration_is_validated(clock: ManualClock) -> None:
    """Leeway is bounded at 5 minutes; keys must exist, be unique and be long enough."""
    _service(clock, leeway=timedelta(minutes=5))  # the bound itself is allowed
    with pytest.raises(ValueError, match="leeway"):
        _service(clock, leeway=timedelta(minutes=5, seconds=1))
    with pytest.raises(ValueError, match="leeway"):
        _service(clock, leeway=timedelta(seconds=-1))
    with pytest.raises(ValueError, match="at least one"):
        TokenService([], issuer=ISSUER, audience=AUDIENCE, clock=clock)
    with pytest.raises(ValueError, match="unique"):
        _service(clock, K1, SigningKey("k1", K2.secret))
    with pytest.raises(ValueError, match="32 bytes"):
        SigningKey("k", "s" * 31)
    SigningKey("k", "\u00e9" * 16)  # 16 code points, but 32 bytes in UTF-8: allowed
    with pytest.raises(ValueError, match="id"):
        SigningKey("", "s" * 32)
    with pytest.raises(ValueError, match="issuer and audience"):
        TokenService([K1], issuer="", audience=AUDIENCE, clock=clock)
    with pytest.raises(ValueError, match="access_ttl"):
        _service(clock, access_ttl=timedelta(milliseconds=999))


def test_tokens_are_never_issued_without_a_subject_or_session(service: TokenService) -> None:
    """A token for nobody, or for no session, could never be revoked: refuse to make it."""
    with pytest.raises(ValueError, match="sub and sid"):
        service.issue_access(sub="", sid="session-1")
    with pytest.raises(ValueError, match="sub and sid"):
        service.issue_access(sub="user-1", sid="")


def test_a_validly_signed_token_with_an_absurd_expiry_is_malformed(service: TokenService) -> None:
    """An expiry past the calendar's end is not "valid for ever": it is refused, not a 500."""
    assert _reason(service, _sign(_claims(exp=1e300))) == "malformed"


def test_signing_key_repr_hides_the_secret() -> None:
    """Keys can be logged without leaking the secret."""
    assert K1.secret not in repr(K1)
    assert "k1" in repr(K1)


def test_refresh_tokens_are_random_and_url_safe() -> None:
    """256 bits from the CSPRNG, URL-safe, never repeated."""
    tokens = {new_refresh_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", token) for token in tokens)


def test_refresh_tokens_are_stored_as_sha256() -> None:
    """The stored form is the SHA-256 hex digest, deterministic and never the token."""
    token = new_refresh_token()
    stored = hash_refresh_token(token)
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert stored == hash_refresh_token(token)
    assert token not in stored
    assert hash_refresh_token(token + "x") != stored
    assert re.fullmatch(r"[0-9a-f]{64}", hash_refresh_token("garbage \ud800 from json"))
