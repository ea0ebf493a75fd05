"""The target of a conformance run: its profile, its URL, the connection and the hooks."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from quality_gates.conformance.client import CONNECT_TIMEOUT, Account, Connection
from quality_gates.conformance.hooks import HookRunner
from quality_gates.errors import InputError
from quality_gates.profile import TargetProfile, load_profile

PROBE_TIMEOUT = 5.0


@dataclass
class Target:
    """Everything a test needs to know about the service under test."""

    profile: TargetProfile
    base_url: str
    connection: Connection = field(init=False)
    hooks: HookRunner = field(init=False)
    seeded: dict[str, Account] = field(default_factory=dict)
    """Accounts created by the seed hook, by purpose (one batch per run)."""
    disclaimed: frozenset[str] = field(init=False)
    """Claims the profile sets to ``false`` explicitly: behaviours the service disowns."""

    def __post_init__(self) -> None:
        self.connection = Connection(self.profile, self.base_url)
        self.hooks = HookRunner(self.profile)
        self.disclaimed = disclaimed_claims(self.profile.source)


def disclaimed_claims(source: Path | None) -> frozenset[str]:
    """The claims a profile file sets to ``false`` (the parsed model cannot tell unset from it)."""
    if source is None:
        return frozenset()
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()  # the profile loaded a moment ago; nothing to disown if it vanished
    claims = document.get("claims")
    if not isinstance(claims, dict):
        return frozenset()
    return frozenset(name for name, value in claims.items() if value is False)


def check_url(url: str) -> str:
    """``url`` without a trailing slash, if it is an http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"target URL {url!r}: expected http://HOST[:PORT] or https://...")
    if parts.query or parts.fragment:
        raise InputError(f"target URL {url!r}: no query or fragment, please")
    return url.rstrip("/")


def open_target(url: str | None, profile_path: str | Path | None) -> Target:
    """Load the profile and settle the URL (the option wins over ``target.base_url``).

    Raises ``InputError`` listing every problem (an invalid profile, a missing URL).
    """
    if profile_path is None:
        raise InputError("a target profile is required (--target-profile FILE)")
    profile = load_profile(profile_path)
    chosen = url or profile.base_url
    if not chosen:
        raise InputError(
            "no target URL: give one (--target-url URL) or set target.base_url in the profile"
        )
    return Target(profile, check_url(chosen))


def probe(target: Target) -> None:
    """Make sure something answers HTTP at the target URL; ``InputError`` when nothing does.

    Any HTTP response counts (even a 404): the question is only whether the service is up, so
    an unreachable target is one clear error instead of a wall of failed tests.
    """
    endpoint = target.profile.endpoint("login")
    path = endpoint.path if endpoint is not None else "/"
    timeout = httpx.Timeout(PROBE_TIMEOUT, connect=CONNECT_TIMEOUT)
    try:
        with httpx.Client(timeout=timeout, trust_env=False, follow_redirects=False) as client:
            client.get(target.base_url + path)
    except httpx.HTTPError as exc:
        raise InputError(
            f"target unreachable: {target.base_url} ({type(exc).__name__}: {exc}); "
            "is the service running?"
        ) from None
