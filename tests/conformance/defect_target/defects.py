"""The defect switches of the zoo target: one name per defect class, chosen at start.

Each switch turns one place of the service into the shortcut a hurried developer would take;
with no switch the service is clean. The racy ones are real read-check-write races across an
``await`` (a database round trip or a password hash), not random failures.
"""

from __future__ import annotations

from types import MappingProxyType

DEFECTS: MappingProxyType[str, str] = MappingProxyType(
    {
        "logout-keeps-access": "logout revokes the refresh token; me never checks the session",
        "refresh-race": "refresh reads the token, issues new ones, then marks it used",
        "lockout-race": "login reads the failure count, verifies, then writes count + 1",
        "register-race": "register checks the address is free, hashes, inserts: no conflict 409",
        "logout-any-session": "logout revokes whatever session the refresh token belongs to",
        "refresh-any-account": "refresh renews the account of the bearer token, not the RT's",
        "case-sensitive-email": "addresses are stored and looked up exactly as typed",
        "client-wide-lockout": "failures are counted per client address, not per account",
        "reuse-keeps-family": "a reused refresh token is refused; its newer siblings live on",
        "strip-password": "passwords are stripped of surrounding whitespace",
        "success-keeps-failures": "a successful login does not reset the failure count",
        "timing-oracle": "an unknown address is refused at once, without hashing",
        "no-store": "token responses carry no Cache-Control: no-store",
        "alg-none": "a token whose header says alg none is accepted unsigned",
        "malformed-json-500": "the JSON body is parsed without a guard: 500 on bad JSON",
    }
)


def parse(text: str) -> frozenset[str]:
    """The switches in ``NAME[,NAME]`` (empty: the clean service); ``ValueError`` if unknown."""
    names = frozenset(name.strip() for name in text.split(",") if name.strip())
    unknown = sorted(names - DEFECTS.keys())
    if unknown:
        raise ValueError(
            f"unknown defect {', '.join(unknown)}; known: {', '.join(sorted(DEFECTS))}"
        )
    return names
