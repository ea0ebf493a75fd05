"""Grey-box hooks: environment references, legacy hashes, the clock file, commands."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import bcrypt
import pytest

from quality_gates.conformance.hooks import (
    HookError,
    HookRunner,
    HookUnavailableError,
    expand_env,
    legacy_hash,
)
from quality_gates.conformance.plugin import error_reason
from quality_gates.profile import load_profile
from tests.conformance._targets import PROFILES


def test_expand_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QG_TEST_VALUE", "/srv/x")
    assert expand_env("${QG_TEST_VALUE}/clock", "hooks.x") == "/srv/x/clock"
    monkeypatch.delenv("QG_TEST_VALUE")
    with pytest.raises(HookUnavailableError, match=r"hooks.x: \$\{QG_TEST_VALUE\} is not set"):
        expand_env("${QG_TEST_VALUE}", "hooks.x")


def test_legacy_hashes_verify() -> None:
    stored = legacy_hash("pässword-1", "pbkdf2_sha256")
    scheme, iterations, salt, encoded = stored.split("$")
    digest = hashlib.pbkdf2_hmac("sha256", "pässword-1".encode(), salt.encode(), int(iterations))
    assert scheme == "pbkdf2_sha256"
    assert base64.b64decode(encoded) == digest
    assert bcrypt.checkpw(b"pw-12345", legacy_hash("pw-12345", "bcrypt").encode())


def test_unset_hooks_are_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTHSVC_CLOCK_OFFSET_FILE", raising=False)
    runner = HookRunner(load_profile(PROFILES / "fastapi-users.toml"))
    with pytest.raises(HookUnavailableError, match=r"no hooks\.clock_offset_file"):
        runner.require("clock_offset_file")
    runner = HookRunner(load_profile(PROFILES / "authsvc.toml"))
    with pytest.raises(HookUnavailableError, match="AUTHSVC_CLOCK_OFFSET_FILE"):
        runner.clock_file()


def test_clock_is_moved_and_restored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = tmp_path / "clock"
    clock.write_text("7\n", encoding="utf-8")
    monkeypatch.setenv("AUTHSVC_CLOCK_OFFSET_FILE", str(clock))
    runner = HookRunner(load_profile(PROFILES / "authsvc.toml"))
    with runner.clock_moved() as control:
        control.set(900)
        assert clock.read_text(encoding="utf-8").strip() == "907.0"
    assert clock.read_text(encoding="utf-8").strip() == "7.0"


def test_failing_hook_command_is_a_hook_error(tmp_path: Path) -> None:
    profile = tmp_path / "p.toml"
    text = (PROFILES / "authsvc.toml").read_text(encoding="utf-8")
    profile.write_text(
        text.replace(
            'stored_hash = ["python", "authsvc_hooks.py", "stored-hash", "{email}"]',
            'stored_hash = ["python", "-c", "print(1); raise SystemExit(\'no db\')", "{email}"]',
        ),
        encoding="utf-8",
    )
    runner = HookRunner(load_profile(profile))
    with pytest.raises(HookError) as caught:
        runner.stored_hash("a@b.c")
    assert str(caught.value) == "hooks.stored_hash exited with 1: no db"
    assert (
        error_reason("call", caught.value) == "hook failed: hooks.stored_hash exited with 1: no db"
    )
