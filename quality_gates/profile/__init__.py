"""Target profiles: how the framework talks to one login service (see docs/profile.md).

``load_profile`` reads a TOML file and returns a frozen ``TargetProfile``, or raises
``InputError`` with one message per problem, each with its key path, unknown keys included, so
one run shows everything wrong with a profile. The conformance suite and the replay gate use the
profile; neither ever imports the service it describes.
"""

from __future__ import annotations

from quality_gates.profile.model import (
    ENDPOINT_FIELDS,
    HOOK_PLACEHOLDERS,
    LAUNCH_PLACEHOLDERS,
    LOCK_SCOPES,
    METHODS,
    PLACEHOLDER,
    REQUIRED_ENDPOINTS,
    SEED_HASH_SCHEMES,
    Claims,
    Counters,
    Encoding,
    Endpoint,
    Hooks,
    Launch,
    Lockout,
    LockScope,
    Races,
    TargetProfile,
    Tokens,
    expand,
    expand_one,
)
from quality_gates.profile.parse import load_profile, parse_profile

__all__ = [
    "ENDPOINT_FIELDS",
    "HOOK_PLACEHOLDERS",
    "LAUNCH_PLACEHOLDERS",
    "LOCK_SCOPES",
    "METHODS",
    "PLACEHOLDER",
    "REQUIRED_ENDPOINTS",
    "SEED_HASH_SCHEMES",
    "Claims",
    "Counters",
    "Encoding",
    "Endpoint",
    "Hooks",
    "Launch",
    "LockScope",
    "Lockout",
    "Races",
    "TargetProfile",
    "Tokens",
    "expand",
    "expand_one",
    "load_profile",
    "parse_profile",
]
