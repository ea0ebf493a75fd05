"""Just enough JWT (RFC 7519) to inspect and tamper with tokens, with the standard library.

The suite never trusts a token it decodes here: decoding is for looking at the claims and
building altered copies, which the target must refuse. Re-signing is HMAC only (HS256/384/512),
for the grey-box properties that hold the target's key (``hooks.jwt_key``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

HMAC_ALGORITHMS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def b64url_encode(data: bytes) -> str:
    """Unpadded URL-safe base64."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded URL-safe base64; raises ``ValueError`` on bad input."""
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.urlsafe_b64decode(padded.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ValueError(f"not base64url: {exc}") from None


@dataclass(frozen=True)
class Jwt:
    """A decoded (unverified) compact JWS."""

    header: dict[str, Any]
    payload: dict[str, Any]
    segments: tuple[str, str, str]

    @property
    def signing_input(self) -> str:
        """``header.payload`` as sent."""
        return f"{self.segments[0]}.{self.segments[1]}"


def decode(token: str) -> Jwt | None:
    """The header and payload of ``token``, or ``None`` when it is not a compact JWS."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(b64url_decode(parts[0]))
        payload = json.loads(b64url_decode(parts[1]))
    except (ValueError, RecursionError):
        return None
    if not isinstance(header, dict) or not isinstance(payload, dict) or "alg" not in header:
        return None
    return Jwt(header, payload, (parts[0], parts[1], parts[2]))


def segment(value: dict[str, Any]) -> str:
    """A JSON object as a compact JWS segment."""
    return b64url_encode(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def encode(header: dict[str, Any], payload: dict[str, Any], key: bytes | None) -> str:
    """A compact JWS; ``key=None`` gives an empty signature (for ``alg: none``)."""
    signing_input = f"{segment(header)}.{segment(payload)}"
    if key is None:
        return signing_input + "."
    digest = HMAC_ALGORITHMS[header["alg"]]
    signature = hmac.new(key, signing_input.encode("ascii"), digest).digest()
    return f"{signing_input}.{b64url_encode(signature)}"


def flip(segment: str, index: int | None = None) -> str:
    """``segment`` with one base64url character changed (the middle one by default).

    The character is replaced by one whose 6-bit value differs, so the decoded bytes differ
    unless the character was pure padding bits (the last one of a segment): avoid that one.
    """
    position = len(segment) // 2 if index is None else index
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    current = segment[position]
    replacement = alphabet[(alphabet.index(current) + 1) % 64] if current in alphabet else "A"
    return segment[:position] + replacement + segment[position + 1 :]
