"""Access-token lifetime properties at the security layer, over any start time.

The HTTP versions (``test_sessions_http.py``) start at one fixed instant; here the start
is any instant, with or without fractions of a second, because ``iat`` and ``exp`` are
whole seconds and the boundary must still be exact.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest
from hypothesis import given

from authsvc.clock import ManualClock
from authsvc.security.tokens import InvalidToken, SigningKey, TokenService
from tests.strategies import clock_advances, instants

TTL = 900
LEEWAY = 30
KEY = SigningKey("prop-k1", "property-suite-signing-key-0123456789-abcdefgh")


def _service(clock: ManualClock) -> TokenService:
    return TokenService(
        [KEY],
        issuer="authsvc",
        audience="authsvc",
        clock=clock,
        access_ttl=timedelta(seconds=TTL),
        leeway=timedelta(seconds=LEEWAY),
    )


@given(instants(), clock_advances([TTL, TTL + LEEWAY]))
def test_valid_until_exp_plus_leeway_then_expired(start: datetime, advance: float) -> None:
    """Accepted iff ``now <= exp + leeway``, where ``exp = floor(issue time) + TTL``;
    past it the reason is ``expired``."""
    clock = ManualClock(start)
    tokens = _service(clock)
    token, ttl = tokens.issue_access(sub="user", sid="session")
    assert ttl == TTL
    exp = math.floor(start.timestamp()) + TTL
    clock.advance(advance)
    if clock.now().timestamp() <= exp + LEEWAY:
        claims = tokens.decode_access(token)
        assert (claims.sub, claims.sid) == ("user", "session")
        assert claims.exp.timestamp() == exp
    else:
        with pytest.raises(InvalidToken) as refused:
            tokens.decode_access(token)
        assert refused.value.reason == "expired"


@given(instants(), clock_advances([LEEWAY]))
def test_tokens_from_the_future_are_refused_beyond_leeway(start: datetime, back: float) -> None:
    """A verifier whose clock is behind the issuer's accepts the token only while the
    difference is within the leeway."""
    issuer_clock = ManualClock(start)
    token, _ = _service(issuer_clock).issue_access(sub="user", sid="session")
    verifier_clock = ManualClock(start - timedelta(seconds=back))
    issued = math.floor(start.timestamp())
    if issued <= verifier_clock.now().timestamp() + LEEWAY:
        assert _service(verifier_clock).decode_access(token).sub == "user"
    else:
        with pytest.raises(InvalidToken) as refused:
            _service(verifier_clock).decode_access(token)
        assert refused.value.reason == "not_yet_valid"
