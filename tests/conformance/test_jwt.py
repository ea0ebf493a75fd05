"""The JWT helpers used to inspect and tamper with tokens."""

from __future__ import annotations

import jwt as pyjwt

from quality_gates.conformance import jwt

KEY = b"k" * 16 + b"0123456789abcdef"


def test_encode_is_verifiable_by_pyjwt_and_decode_reads_it() -> None:
    token = jwt.encode({"alg": "HS256", "typ": "JWT"}, {"sub": "1", "aud": "x"}, KEY)
    assert pyjwt.decode(token, KEY, algorithms=["HS256"], audience="x")["sub"] == "1"
    decoded = jwt.decode(token)
    assert decoded is not None
    assert decoded.payload == {"sub": "1", "aud": "x"}


def test_alg_none_has_an_empty_signature() -> None:
    assert jwt.encode({"alg": "none"}, {"sub": "1"}, None).endswith(".")


def test_decode_refuses_what_is_not_a_jws() -> None:
    assert jwt.decode("opaque-token") is None
    assert jwt.decode("a.b.c") is None
    assert jwt.decode(jwt.b64url_encode(b"[]") + ".e30.x") is None


def test_flip_changes_one_character() -> None:
    segment = "abcdef"
    flipped = jwt.flip(segment)
    assert flipped != segment
    assert len(flipped) == len(segment)
    assert sum(a != b for a, b in zip(flipped, segment, strict=True)) == 1
