"""Service settings: every knob, read from ``AUTHSVC_*`` environment variables.

Nothing here is built at import time; :class:`Settings` is instantiated by the CLI or
:func:`authsvc.app.create_app`. Validation happens once, at start-up: a service that
would run with a guessable signing key refuses to start instead.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

__all__ = [
    "DEPRECATED_ALIASES",
    "ENV_PREFIX",
    "MIN_SECRET_BYTES",
    "IPNetwork",
    "Settings",
    "SigningKeyConfig",
    "StoreSettings",
    "UnknownSettingError",
    "WeakSigningKeyError",
    "check_environment",
]

#: HS256 keys shorter than the hash output are weaker than the algorithm (RFC 7518 §3.2).
MIN_SECRET_BYTES = 32
# A long secret made of few distinct characters ("aaaa…", "changeme" repeated) is a
# placeholder, not a key.
_MIN_DISTINCT_CHARS = 8

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ENV_PREFIX = "AUTHSVC_"
#: Renamed settings: old variable -> new variable. The old name keeps applying, with a
#: warning, so a deployment that still sets it keeps its value; when both are set the new
#: one wins (also with a warning). Drop an entry a release or two after the rename.
DEPRECATED_ALIASES: dict[str, str] = {}


class WeakSigningKeyError(ValueError):
    """A signing key is missing or too weak to run outside development mode."""


class UnknownSettingError(ValueError):
    """An ``AUTHSVC_*`` variable that is no setting: a typo, or a setting renamed or removed."""


class _DeprecatedAliasSource(EnvSettingsSource):
    """The environment seen through :data:`DEPRECATED_ALIASES`: an old name sets the new field.

    Ranked below the ordinary environment, so the new name wins when both are set.
    """

    def _load_env_vars(self) -> Mapping[str, str | None]:
        upper = {name.upper(): value for name, value in os.environ.items()}
        return {
            new.lower(): upper[old]
            for old, new in DEPRECATED_ALIASES.items()
            if old in upper and new not in upper
        }


class SigningKeyConfig(BaseModel):
    """One HMAC signing key: ``kid`` names it in token headers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kid: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    secret: SecretStr

    @field_validator("secret")
    @classmethod
    def _strong_enough(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value()
        if len(raw.encode("utf-8")) < MIN_SECRET_BYTES:
            raise WeakSigningKeyError(
                f"signing key secrets must be at least {MIN_SECRET_BYTES} bytes"
            )
        if len(set(raw)) < _MIN_DISTINCT_CHARS:
            raise WeakSigningKeyError("signing key secret looks like a placeholder")
        return value


class StoreSettings(BaseSettings):
    """The settings a database-only command (``migrate``, ``import-users``) needs."""

    model_config = SettingsConfigDict(
        env_prefix="AUTHSVC_", extra="ignore", frozen=True, validate_default=True
    )

    database_url: str = Field(
        default="sqlite:///./authsvc.db",
        description="SQLAlchemy URL: a SQLite file or postgresql+psycopg://…",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The usual sources, with deprecated names just below the environment."""
        aliases = _DeprecatedAliasSource(settings_cls)
        return init_settings, env_settings, aliases, dotenv_settings, file_secret_settings


class Settings(StoreSettings):
    """All service settings. Environment variables are ``AUTHSVC_<FIELD NAME>``."""

    dev_mode: bool = Field(
        default=False,
        description="Development: allow starting without signing keys (an ephemeral key is "
        "generated), and serve the interactive API docs at /docs and /redoc.",
    )
    signing_keys: list[SigningKeyConfig] = Field(
        default_factory=list,
        description='JSON list [{"kid": …, "secret": …}]; the first signs, all verify.',
    )
    issuer: str = Field(default="authsvc", min_length=1)
    audience: str = Field(default="authsvc", min_length=1)
    access_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    refresh_ttl_seconds: int = Field(
        default=30 * 86_400,
        ge=60,
        le=365 * 86_400,
        description="Absolute lifetime of a session and its refresh-token family.",
    )
    leeway_seconds: int = Field(default=30, ge=0, le=300)
    argon2_memory_cost: int = Field(default=19_456, ge=8)
    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_parallelism: int = Field(default=1, ge=1, le=64)
    password_min_length: int = Field(default=8, ge=1, le=1024)
    lockout_threshold: int = Field(default=5, ge=1)
    lockout_window_seconds: int = Field(default=900, ge=1)
    client_rate_limit: int = Field(
        default=300,
        ge=0,
        description="Failed password attempts per client address per minute, per process; 0 = off.",
    )
    trusted_proxies: Annotated[list[IPNetwork], NoDecode] = Field(
        default_factory=list,
        description="Peers whose X-Forwarded-For is believed (JSON list or comma-separated).",
    )
    max_body_bytes: int = Field(default=65_536, ge=1024, le=16 * 1024 * 1024)
    hash_workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        le=256,
        description="Threads in the bounded password-hashing pool.",
    )
    server_timing: bool = Field(
        default=False,
        description="Send each response's time in the app as a Server-Timing header (app;dur=ms).",
    )
    clock_offset_file: Path | None = Field(
        default=None, description="Test hook: a file holding seconds added to the wall clock."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            value = (
                json.loads(text)
                if text.startswith("[")
                else [part.strip() for part in text.split(",") if part.strip()]
            )
        if isinstance(value, list):
            # "10.1.2.3/8" means the /8 it lies in (host bits masked, not an error).
            return [
                ipaddress.ip_network(item, strict=False) if isinstance(item, str) else item
                for item in value
            ]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    # The rules below span several settings; their messages name the environment
    # variables themselves, since pydantic has no single field to attribute them to.
    @model_validator(mode="after")
    def _keys_required(self) -> Settings:
        if not self.signing_keys and not self.dev_mode:
            raise WeakSigningKeyError(
                "AUTHSVC_SIGNING_KEYS is required (or set AUTHSVC_DEV_MODE=true for development)"
            )
        kids = [key.kid for key in self.signing_keys]
        if len(set(kids)) != len(kids):
            raise ValueError("AUTHSVC_SIGNING_KEYS: the key ids (kid) must be unique")
        if self.argon2_memory_cost < 8 * self.argon2_parallelism:
            raise ValueError(
                "AUTHSVC_ARGON2_MEMORY_COST must be at least 8 KiB per lane "
                "(8 times AUTHSVC_ARGON2_PARALLELISM)"
            )
        return self

    @property
    def uses_ephemeral_key(self) -> bool:
        """Whether tokens will be signed by a key generated at start-up (dev mode only)."""
        return not self.signing_keys

    def effective_signing_keys(self) -> list[tuple[str, str]]:
        """Return ``(kid, secret)`` pairs; a fresh random key when none is configured."""
        if self.signing_keys:
            return [(key.kid, key.secret.get_secret_value()) for key in self.signing_keys]
        return [("dev-ephemeral", secrets.token_urlsafe(48))]


def check_environment(environ: Mapping[str, str]) -> list[str]:
    """Refuse an unknown ``AUTHSVC_*`` variable; return a warning per deprecated one in use.

    pydantic-settings ignores variables that match no field, so a mistyped or renamed
    setting would silently stop applying. Names are compared in capitals, as pydantic-settings
    matches them regardless of case. Raises :class:`UnknownSettingError` naming the variable
    and the closest known one.
    """
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    present = {name.upper() for name in environ}
    warnings: list[str] = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in known:
            continue
        new = DEPRECATED_ALIASES.get(upper)
        if new is not None:
            if new in present:
                warnings.append(f"{name} is deprecated and ignored: {new} is set and wins")
            else:
                warnings.append(f"{name} is deprecated: it still applies, rename it to {new}")
            continue
        # Compared without the prefix, which every name shares and would make anything close.
        fields = sorted(known_name.removeprefix(ENV_PREFIX) for known_name in known)
        close = difflib.get_close_matches(upper.removeprefix(ENV_PREFIX), fields, n=1)
        hint = f"; did you mean {ENV_PREFIX}{close[0]}?" if close else ""
        raise UnknownSettingError(f"unknown setting {name}{hint}")
    return warnings
