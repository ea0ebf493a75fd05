"""Settings: defaults, environment parsing, and refusing weak keys."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError

from authsvc.config import Settings, StoreSettings

GOOD = '[{"kid": "k2", "secret": "0123456789abcdefghijklmnopqrstuvwxyz"}]'


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """The documented defaults."""
    monkeypatch.setenv("AUTHSVC_SIGNING_KEYS", GOOD)
    settings = Settings()
    assert settings.database_url == "sqlite:///./authsvc.db"
    assert not settings.dev_mode
    assert (
        settings.argon2_memory_cost,
        settings.argon2_time_cost,
        settings.argon2_parallelism,
    ) == (
        19456,
        2,
        1,
    )
    assert (settings.lockout_threshold, settings.lockout_window_seconds) == (5, 900)
    assert settings.access_ttl_seconds == 900
    assert settings.refresh_ttl_seconds == 30 * 86400
    assert settings.max_body_bytes == 65536
    assert settings.client_rate_limit == 300
    assert settings.hash_workers >= 1
    assert settings.password_min_length == 8
    assert settings.effective_signing_keys() == [("k2", "0123456789abcdefghijklmnopqrstuvwxyz")]


def test_missing_keys_refused_outside_dev_mode() -> None:
    """No signing keys and no dev mode: refuse to start."""
    with pytest.raises(ValidationError, match="AUTHSVC_SIGNING_KEYS is required"):
        Settings()


def test_dev_mode_generates_an_ephemeral_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dev mode without keys: a random key per process."""
    monkeypatch.setenv("AUTHSVC_DEV_MODE", "1")
    settings = Settings()
    assert settings.uses_ephemeral_key
    ((kid, secret),) = settings.effective_signing_keys()
    assert kid == "dev-ephemeral"
    assert len(secret) >= 32
    assert settings.effective_signing_keys()[0][1] != secret


@pytest.mark.parametrize(
    "keys",
    [
        '[{"kid": "k", "secret": "short"}]',
        '[{"kid": "k", "secret": "' + "a" * 64 + '"}]',
        '[{"kid": "k", "secret": "' + "abab" * 16 + '"}]',
        '[{"kid": "", "secret": "0123456789abcdefghijklmnopqrstuvwxyz"}]',
        '[{"kid": "k", "secret": "0123456789abcdefghijklmnopqrstuvwxyz", "alg": "none"}]',
        '{"kid": "k"}',
        "not json",
    ],
)
def test_weak_or_malformed_keys_are_refused(monkeypatch: pytest.MonkeyPatch, keys: str) -> None:
    """Short, placeholder-like or malformed keys stop the service, dev mode or not."""
    monkeypatch.setenv("AUTHSVC_DEV_MODE", "true")
    monkeypatch.setenv("AUTHSVC_SIGNING_KEYS", keys)
    with pytest.raises((ValidationError, SettingsError)):
        Settings()


def test_duplicate_kids_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each key id names one key."""
    secret = "0123456789abcdefghijklmnopqrstuvwxyz"
    monkeypatch.setenv(
        "AUTHSVC_SIGNING_KEYS",
        f'[{{"kid": "a", "secret": "{secret}"}}, {{"kid": "a", "secret": "{secret}"}}]',
    )
    with pytest.raises(ValidationError, match="unique"):
        Settings()


def test_key_secrets_stay_out_of_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings can be printed without showing a secret."""
    monkeypatch.setenv("AUTHSVC_SIGNING_KEYS", GOOD)
    assert "0123456789abcdef" not in repr(Settings())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('["10.0.0.0/8", "::1"]', ["10.0.0.0/8", "::1/128"]),
        ("10.0.0.0/8, 192.168.1.7", ["10.0.0.0/8", "192.168.1.7/32"]),
        ("10.1.2.3/8", ["10.0.0.0/8"]),
        ("", []),
    ],
)
def test_trusted_proxies(monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]) -> None:
    """JSON list or comma-separated; host bits are masked."""
    monkeypatch.setenv("AUTHSVC_DEV_MODE", "true")
    monkeypatch.setenv("AUTHSVC_TRUSTED_PROXIES", value)
    assert Settings().trusted_proxies == [ipaddress.ip_network(n) for n in expected]


def test_invalid_trusted_proxy_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy entry that is not an address or network is an error, not ignored."""
    monkeypatch.setenv("AUTHSVC_DEV_MODE", "true")
    monkeypatch.setenv("AUTHSVC_TRUSTED_PROXIES", "proxy.example.com")
    with pytest.raises(ValidationError):
        Settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AUTHSVC_LEEWAY_SECONDS", "301"),
        ("AUTHSVC_LOCKOUT_THRESHOLD", "0"),
        ("AUTHSVC_HASH_WORKERS", "0"),
        ("AUTHSVC_ARGON2_MEMORY_COST", "4"),
        ("AUTHSVC_LOG_LEVEL", "LOUD"),
        ("AUTHSVC_CLIENT_RATE_LIMIT", "-1"),
    ],
)
def test_out_of_range_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    """Bounded knobs are validated at start-up."""
    monkeypatch.setenv("AUTHSVC_DEV_MODE", "true")
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_memory_cost_must_cover_the_lanes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 needs 8 KiB per lane."""
    monkeypatch.setenv("AUTHSVC_DEV_MODE", "true")
    monkeypatch.setenv("AUTHSVC_ARGON2_PARALLELISM", "4")
    monkeypatch.setenv("AUTHSVC_ARGON2_MEMORY_COST", "16")
    with pytest.raises(ValidationError, match="per lane"):
        Settings()


def test_unknown_variables_and_case(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings alone ignore unknown variables (the CLI refuses them); the level ignores case."""
    monkeypatch.setenv("AUTHSVC_DEV_MODE", "true")
    monkeypatch.setenv("AUTHSVC_NOT_A_SETTING", "x")
    monkeypatch.setenv("AUTHSVC_LOG_LEVEL", "debug")
    assert Settings().log_level == "DEBUG"


def test_store_settings_need_no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """migrate and import-users only need the database URL."""
    monkeypatch.setenv("AUTHSVC_DATABASE_URL", "sqlite:///x.db")
    assert StoreSettings().database_url == "sqlite:///x.db"


def test_retired_signing_keys_stay_for_verification(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rotation lists the new key first and keeps the old one: tokens it signed stay valid."""
    monkeypatch.setenv(
        "AUTHSVC_SIGNING_KEYS",
        '[{"kid": "new", "secret": "abcdefghijklmnopqrstuvwxyz0123456789"},'
        ' {"kid": "old", "secret": "0123456789abcdefghijklmnopqrstuvwxyz"}]',
    )
    assert Settings().effective_signing_keys() == [
        ("new", "abcdefghijklmnopqrstuvwxyz0123456789"),
        ("old", "0123456789abcdefghijklmnopqrstuvwxyz"),
    ]
