"""Target profiles: the frozen data model (see docs/profile.md) and placeholder filling."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

Encoding = Literal["json", "form"]
LockScope = Literal["account", "client", "account+client"]
LOCK_SCOPES: tuple[LockScope, ...] = ("account", "client", "account+client")

#: The framework's field names each endpoint may map, and which of them it must have.
ENDPOINT_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "register": ("email", "password"),
        "login": ("email", "password"),
        "refresh": ("refresh_token",),
        "logout": ("refresh_token",),
        "me": (),
        "change_password": ("current_password", "new_password"),
        "revoke": ("refresh_token",),
    }
)
REQUIRED_ENDPOINTS = ("register", "login", "me")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: Placeholders each command template may use; anything else in braces is a typo.
HOOK_PLACEHOLDERS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "seed_accounts": ("file",),
        "stored_hash": ("email",),
        "disable_account": ("email",),
        "reset_lockout": ("email",),
        "census": (),
    }
)
#: Hooks whose command may leave out their placeholder (a client-wide reset needs no address).
OPTIONAL_PLACEHOLDER_HOOKS = frozenset({"reset_lockout", "census"})
LAUNCH_PLACEHOLDERS = ("port", "database_url", "workdir")
#: Legacy hash formats the suite can write for ``hooks.seed_accounts``.
SEED_HASH_SCHEMES = ("pbkdf2_sha256", "bcrypt")
#: ``{name}``, but not ``${NAME}`` (an environment reference in a hook value).
PLACEHOLDER = re.compile(r"(?<!\$)\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Endpoint:
    """One HTTP endpoint of the target; ``fields`` maps framework names to the target's."""

    name: str
    method: str
    path: str
    success: tuple[int, ...]
    encoding: Encoding
    fields: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def field(self, name: str) -> str:
        """The target's name for framework field ``name``: the same name when not mapped, and
        ``""`` when the profile maps it to ``""`` (the target has no such field: not sent)."""
        return self.fields.get(name, name)


@dataclass(frozen=True)
class Tokens:
    """Where tokens are in a login/refresh response, and how the access token is sent back.

    ``access`` and ``refresh`` are dotted paths into the JSON body or ``cookie:NAME``;
    ``send`` is ``bearer`` or ``cookie:NAME``.
    """

    access: str
    refresh: str | None = None
    send: str = "bearer"

    @property
    def send_cookie(self) -> str | None:
        """The cookie name the access token is sent in, or ``None`` for a bearer header."""
        return self.send.removeprefix("cookie:") if self.send.startswith("cookie:") else None


@dataclass(frozen=True)
class Lockout:
    """``claims.lockout``: how the target locks after failed logins (docs/profile.md).

    ``threshold`` failures lock; the lock lasts ``lock_seconds`` (``None``: until an
    administrator lifts it); failures older than ``window_seconds`` are forgotten (``None``: the
    count never expires). ``scope`` says what is locked; ``status`` lists the statuses of the
    lock answer (empty: the bad-credentials answer's), and ``matches_bad_credentials`` whether it
    is byte-for-byte that answer. ``slack`` is how many checked guesses beyond the threshold a
    burst of concurrent failures may get.
    """

    threshold: int
    lock_seconds: int | None
    window_seconds: int | None = None
    scope: LockScope = "account"
    status: tuple[int, ...] = ()
    matches_bad_credentials: bool = True
    slack: int = 0

    @property
    def permanent(self) -> bool:
        """Whether the lock lasts until it is lifted by hand."""
        return self.lock_seconds is None


@dataclass(frozen=True)
class Races:
    """``[races]``: how the concurrency properties are tried (see docs/conformance.md)."""

    trials: int = 20
    parties: int = 4


@dataclass(frozen=True)
class Counters:
    """``[counters]``: Prometheus counters the replay compares between versions (docs/replay.md).

    Each is a sample selector, ``name{label="value",...}``, summed over the samples it matches;
    ``""`` when the target does not expose it.
    """

    path: str = "/metrics"
    rehashes: str = ""


@dataclass(frozen=True)
class Timing:
    """``[timing]``: how the replay times the service (docs/replay.md, "Cost and timing").

    ``server_metric`` names a ``Server-Timing`` metric whose ``dur`` is the service's own time
    for a request; ``""`` times the round trip on the client.
    """

    server_metric: str = ""


@dataclass(frozen=True)
class Claims:
    """Optional behaviours the target claims; ``False``/``None`` means "not claimed"."""

    refresh_rotation: bool = False
    refresh_reuse_revokes_family: bool = False
    revoke_on_logout: bool = False
    password_change_revokes_sessions: bool = False
    hides_account_existence: bool = False
    registration_hides_existence: bool = False
    legacy_hash_upgrade: bool = False
    identifier_canonicalisation: bool = False
    password_blocklist: bool = False
    password_normalisation: bool = False
    strict_content_type: bool = False
    lockout: Lockout | None = None
    min_password_length: int | None = None
    max_password_length: int | None = None
    max_body_bytes: int | None = None
    access_ttl_seconds: int | None = None
    leeway_seconds: int | None = None
    session_lifetime_seconds: int | None = None


@dataclass(frozen=True)
class Hooks:
    """Grey-box test hooks; each is optional and the properties needing it skip without it.

    String values may hold ``${NAME}``, replaced by the environment variable when the hook is
    used (not when the profile is loaded), so one profile serves any run of the target.
    """

    seed_accounts: tuple[str, ...] = ()
    stored_hash: tuple[str, ...] = ()
    disable_account: tuple[str, ...] = ()
    reset_lockout: tuple[str, ...] = ()
    census: tuple[str, ...] = ()
    """Prints one JSON line per account: hash scheme, parameters, e-mail shape (docs/census.md)."""
    clock_offset_file: str = ""
    seed_hash_scheme: str = "pbkdf2_sha256"
    jwt_key: str = ""
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    timeout_seconds: float = 60.0


@dataclass(frozen=True)
class Launch:
    """How to start one version of the service; templates take ``{port}`` and friends."""

    command: tuple[str, ...]
    migrate: tuple[str, ...] = ()
    ready_path: str = "/"
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    ready_timeout_seconds: float = 30.0


@dataclass(frozen=True)
class TargetProfile:
    """A whole, validated target profile."""

    name: str
    endpoints: Mapping[str, Endpoint]
    tokens: Tokens
    base_url: str | None = None
    encoding: Encoding = "json"
    claims: Claims = field(default_factory=Claims)
    hooks: Hooks = field(default_factory=Hooks)
    launch: Launch | None = None
    races: Races = field(default_factory=Races)
    counters: Counters = field(default_factory=Counters)
    timing: Timing = field(default_factory=Timing)
    source: Path | None = None

    def endpoint(self, name: str) -> Endpoint | None:
        """The endpoint called ``name``, or ``None`` when the target has none."""
        return self.endpoints.get(name)


def expand(template: Sequence[str], **values: object) -> tuple[str, ...]:
    """Fill ``{name}`` placeholders in each argument; other braces (JSON) are left alone."""
    return tuple(expand_one(part, **values) for part in template)


def expand_one(text: str, **values: object) -> str:
    """Fill the ``{name}`` placeholders of one string that ``values`` has."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(values[name]) if name in values else match.group(0)

    return PLACEHOLDER.sub(fill, text)
