# ruff: noqa: S101 - pytest tests: a failed assert is the verdict, with its message
"""JWT access tokens: properties 39, 40 and 42 (skipped when the tokens are not JWTs)."""

from __future__ import annotations

from quality_gates.conformance import jwt
from quality_gates.conformance.client import TargetClient
from quality_gates.conformance.hooks import HookError
from quality_gates.conformance.properties._support import (
    hook,
    jwt_of,
    prop,
    skip,
    token_rejected,
)
from quality_gates.conformance.target import Target


def _session_jwt(client: TargetClient) -> tuple[str, jwt.Jwt]:
    token = client.session(client.account()).access
    assert token is not None
    return token, jwt_of(token)


@prop("39")
def test_signature_is_verified(client: TargetClient) -> None:
    """A changed character in the header, the payload or the signature: refused."""
    _, decoded = _session_jwt(client)
    header, payload, signature = decoded.segments
    variants = {
        "header": f"{jwt.flip(header)}.{payload}.{signature}",
        "payload": f"{header}.{jwt.flip(payload)}.{signature}",
        "signature": f"{header}.{payload}.{jwt.flip(signature)}",
        "another user's payload": _other_payload(client, decoded),
    }
    for part, forged in variants.items():
        client.secret(forged, "tampered-token")
        response = token_rejected(client, forged)
        assert not client.ok("me", response), f"a token with a changed {part} was accepted"


def _other_payload(client: TargetClient, decoded: jwt.Jwt) -> str:
    """The first token's header and signature around a second user's payload."""
    _, other = _session_jwt(client)
    return f"{decoded.segments[0]}.{other.segments[1]}.{decoded.segments[2]}"


@prop("40")
def test_alg_none_and_switching_are_refused(client: TargetClient) -> None:
    """``alg: none`` (unsigned) and a switched ``alg`` with the same signature: refused."""
    _, decoded = _session_jwt(client)
    variants = {"none": jwt.encode({**decoded.header, "alg": "none"}, decoded.payload, None)}
    for name in ("None", "NONE"):
        variants[name] = jwt.encode({**decoded.header, "alg": name}, decoded.payload, None)
    switched = "HS512" if decoded.header.get("alg") != "HS512" else "HS256"
    header = jwt.segment({**decoded.header, "alg": switched})
    variants[switched] = f"{header}.{decoded.segments[1]}.{decoded.segments[2]}"
    for name, forged in variants.items():
        client.secret(forged, "forged-token")
        response = token_rejected(client, forged)
        assert not client.ok("me", response), f"a token with alg {name!r} was accepted"


@prop("42")
def test_audience_issuer_and_type_are_validated(client: TargetClient, target: Target) -> None:
    """Re-signed with the target's key: another audience, issuer or token type is refused."""
    hook(target, "jwt_key")
    _, decoded = _session_jwt(client)
    algorithm = decoded.header.get("alg")
    if algorithm not in jwt.HMAC_ALGORITHMS:
        skip(f"not applicable: hooks.jwt_key re-signs HMAC tokens, the target uses {algorithm}")
    key = target.hooks.jwt_key()
    control = client.me(jwt.encode(decoded.header, decoded.payload, key))
    if not client.ok("me", control):
        client.decide(control)
        raise HookError("hooks.jwt_key: a token re-signed with it is refused: wrong key?")
    changes: dict[str, dict[str, object]] = {"aud": {"aud": "qg-another-audience"}}
    if "iss" in decoded.payload:
        changes["iss"] = {"iss": "https://issuer.invalid"}
    if "typ" in decoded.payload:
        changes["typ"] = {"typ": "refresh"}
    if len(changes) == 1:
        client.note("the payload has no iss and no typ: only aud is checked")
    for claim_name, change in changes.items():
        forged = jwt.encode(decoded.header, {**decoded.payload, **change}, key)
        client.secret(forged, "forged-token")
        response = token_rejected(client, forged)
        assert not client.ok("me", response), f"a token with a foreign {claim_name} was accepted"
