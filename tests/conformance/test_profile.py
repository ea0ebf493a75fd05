"""Target profile validation: every wrong field is reported with its key, all at once."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from quality_gates.errors import InputError
from quality_gates.profile import Lockout, Races, expand, load_profile, parse_profile
from tests.conformance._targets import PROFILES


def _authsvc() -> dict[str, Any]:
    document = tomllib.loads((PROFILES / "authsvc.toml").read_text(encoding="utf-8"))
    document["races"] = {}
    return document


def _problems(document: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(InputError) as caught:
        parse_profile(document)
    return caught.value.problems


@pytest.mark.parametrize("name", ["authsvc.toml", "fastapi-users.toml"])
def test_shipped_profiles_load(name: str) -> None:
    profile = load_profile(PROFILES / name)
    assert profile.endpoint("login") is not None
    assert profile.source == PROFILES / name


def test_authsvc_profile_values() -> None:
    profile = load_profile(PROFILES / "authsvc.toml")
    login = profile.endpoint("login")
    assert login is not None
    assert (login.method, login.path, login.success) == (
        "POST",
        "/v1/sessions",
        (200,),
    )
    assert profile.claims.lockout is not None
    assert profile.claims.lockout.threshold == 5
    assert profile.launch is not None
    assert profile.launch.ready_path == "/readyz"
    assert profile.hooks.clock_offset_file == "${AUTHSVC_CLOCK_OFFSET_FILE}"


def test_fastapi_users_login_is_a_form_with_username() -> None:
    login = load_profile(PROFILES / "fastapi-users.toml").endpoint("login")
    assert login is not None
    assert login.encoding == "form"
    assert login.field("email") == "username"
    change = load_profile(PROFILES / "fastapi-users.toml").endpoint("change_password")
    assert change is not None
    assert change.field("current_password") == ""


# (where, key, value) to set, and the problem expected; None as value deletes the key.
BAD_FIELDS = [
    (("target",), "name", "", 'target.name: expected a non-empty string, got ""'),
    (("target",), "name", None, "target.name: missing (required)"),
    (("target",), "base_url", "ftp://x", "target.base_url: expected an http:// or https:// URL"),
    (("target",), "encoding", "xml", 'target.encoding: expected one of "json", "form"'),
    (("target",), "nmae", "x", 'target.nmae: unknown key (did you mean "name"?)'),
    (("endpoints", "login"), "method", "FETCH", "endpoints.login.method: expected an HTTP method"),
    (("endpoints", "login"), "path", "v1/sessions", "endpoints.login.path: expected a path"),
    (("endpoints", "login"), "path", None, "endpoints.login.path: missing (required)"),
    (("endpoints", "login"), "success", [700], "endpoints.login.success: expected a non-empty"),
    (("endpoints", "login"), "success", [], "endpoints.login.success: expected a non-empty"),
    (("endpoints", "login"), "fields", {"emial": "e"}, "endpoints.login.fields.emial: unknown key"),
    (("endpoints", "login"), "fields", "email", "endpoints.login.fields: expected a table"),
    (("endpoints", "login"), "encoding", "yaml", "endpoints.login.encoding: expected one of"),
    (("endpoints",), "signin", {"method": "POST", "path": "/"}, "endpoints.signin: unknown key"),
    (("endpoints",), "me", None, "endpoints.me: missing (required endpoint)"),
    (("endpoints",), "login", "POST /x", "endpoints.login: expected a table"),
    (("tokens",), "access", "a b", "tokens.access: expected a dotted path"),
    (("tokens",), "access", None, "tokens.access: missing (required)"),
    (("tokens",), "send", "header", 'tokens.send: expected "bearer" or "cookie:NAME"'),
    (("tokens",), "refresh", None, "tokens.refresh: missing (required when [endpoints.refresh]"),
    (("claims",), "refresh_rotation", "yes", "claims.refresh_rotation: expected true or false"),
    (("claims",), "lockout", {"threshold": 0, "window_seconds": 9}, "claims.lockout.threshold:"),
    (("claims",), "lockout", 5, "claims.lockout: expected a table"),
    (("claims",), "lockout", {"threshold": 5}, "claims.lockout.lock_seconds: missing (required)"),
    (("claims", "lockout"), "lock_seconds", "forever", "claims.lockout.lock_seconds: expected a"),
    (("claims", "lockout"), "lock_seconds", 0, "claims.lockout.lock_seconds: expected a number"),
    (("claims", "lockout"), "scope", "ip", 'claims.lockout.scope: expected one of "account"'),
    (("claims", "lockout"), "status", [401, 999], "claims.lockout.status: expected a non-empty"),
    (("claims", "lockout"), "matches_bad_credentials", 1, "claims.lockout.matches_bad_credent"),
    (("claims", "lockout"), "slack", -1, "claims.lockout.slack: expected an integer >= 0"),
    (("claims", "lockout"), "treshold", 5, "claims.lockout.treshold: unknown key (did you mean"),
    (("races",), "trials", 0, "races.trials: expected an integer from 1 to 1000"),
    (("races",), "trials", True, "races.trials: expected an integer from 1 to 1000"),
    (("races",), "parties", 1, "races.parties: expected an integer from 2 to 32"),
    (("races",), "rounds", 3, "races.rounds: unknown key"),
    (("hooks",), "reset_lockout", ["x", "{address}"], "hooks.reset_lockout: expected a command"),
    (("claims",), "min_password_length", 0, "claims.min_password_length: expected an integer"),
    (("claims",), "min_password_length", 2000, "claims.min_password_length: greater than"),
    (("claims",), "leeway_seconds", -1, "claims.leeway_seconds: expected an integer >= 0"),
    (("claims",), "lockuot", True, 'claims.lockuot: unknown key (did you mean "lockout"?)'),
    (("hooks",), "seed_accounts", ["x", "{fiel}"], "hooks.seed_accounts: expected a command"),
    (("hooks",), "seed_accounts", ["authsvc", "import"], "hooks.seed_accounts: the command must"),
    (("hooks",), "stored_hash", [], "hooks.stored_hash: expected a command"),
    (("hooks",), "seed_hash_scheme", "md5", 'hooks.seed_hash_scheme: expected one of "pbkdf2'),
    (("hooks",), "timeout_seconds", 0, "hooks.timeout_seconds: expected a number > 0"),
    (("hooks",), "env", {"A": 1}, "hooks.env: expected a table of strings"),
    (("launch",), "command", None, "launch.command: missing (required)"),
    (("launch",), "ready_path", "readyz", "launch.ready_path: expected a path"),
    (("launch",), "env", {"X": "{prt}"}, "launch.env.X: unknown placeholder {prt}"),
]


@pytest.mark.parametrize(("where", "key", "value", "expected"), BAD_FIELDS)
def test_each_bad_field_is_reported_with_its_key(
    where: tuple[str, ...], key: str, value: object, expected: str
) -> None:
    document = _authsvc()
    table = document
    for part in where:
        table = table[part]
    if value is None:
        del table[key]
    else:
        table[key] = value
    problems = _problems(document)
    assert any(problem.startswith(expected) for problem in problems), problems


def test_lockout_keys_and_their_defaults() -> None:
    document = _authsvc()
    document["claims"]["lockout"] = {"threshold": 3, "lock_seconds": "permanent"}
    lockout = parse_profile(document).claims.lockout
    assert lockout == Lockout(threshold=3, lock_seconds=None)
    assert lockout.permanent
    assert (lockout.scope, lockout.status, lockout.matches_bad_credentials) == ("account", (), True)
    assert (lockout.window_seconds, lockout.slack) == (None, 0)


def test_window_seconds_alone_is_still_the_lock_length() -> None:
    """Profiles from before ``lock_seconds`` meant the lock's length by ``window_seconds``."""
    document = _authsvc()
    document["claims"]["lockout"] = {"threshold": 5, "window_seconds": 600}
    lockout = parse_profile(document).claims.lockout
    assert lockout is not None
    assert (lockout.lock_seconds, lockout.window_seconds) == (600, 600)


def test_a_distinct_lock_answer_needs_its_statuses() -> None:
    document = _authsvc()
    lockout = {"threshold": 5, "lock_seconds": 60, "matches_bad_credentials": False}
    document["claims"]["lockout"] = lockout
    assert _problems(document) == (
        "claims.lockout.status: missing (required when matches_bad_credentials = false): "
        "the status codes of the lock answer",
    )
    document["claims"]["lockout"] = {**lockout, "status": [423], "scope": "account+client"}
    parsed = parse_profile(document).claims.lockout
    assert parsed is not None
    assert (parsed.status, parsed.scope) == ((423,), "account+client")


def test_races_and_the_reset_hook() -> None:
    document = _authsvc()
    assert parse_profile(document).races == Races(trials=20, parties=4)
    document["races"] = {"trials": 50, "parties": 2}
    document["hooks"]["reset_lockout"] = ["python", "reset.py"]  # a client-wide reset: no {email}
    profile = parse_profile(document)
    assert profile.races == Races(trials=50, parties=2)
    assert profile.hooks.reset_lockout == ("python", "reset.py")


def test_claims_needing_an_endpoint() -> None:
    document = _authsvc()
    del document["endpoints"]["logout"]
    assert "claims.revoke_on_logout: needs [endpoints.logout]" in _problems(document)


def test_every_problem_is_listed_at_once() -> None:
    document = copy.deepcopy(_authsvc())
    document["target"]["encoding"] = "xml"
    document["endpoints"]["login"]["method"] = "FETCH"
    document["claims"]["lockout"] = "5"
    document["surplus"] = 1
    problems = _problems(document)
    assert len(problems) == 4, problems
    assert "surplus: unknown key" in problems


def test_missing_sections() -> None:
    problems = _problems({"target": {"name": "x"}})
    assert "endpoints: missing (required section)" in problems
    assert "tokens: missing (required section)" in problems
    assert "endpoints.login: missing (required endpoint)" in problems


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such profile file"):
        load_profile(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[target\n", encoding="utf-8")
    with pytest.raises(InputError, match="invalid TOML"):
        load_profile(broken)


def test_expand_fills_known_placeholders_only() -> None:
    argv = expand(["serve", "--port", "{port}", '{"kid": "k"}', "${HOME}", "{other}"], port=8000)
    assert argv == ("serve", "--port", "8000", '{"kid": "k"}', "${HOME}", "{other}")


def test_environment_references_are_not_placeholders() -> None:
    document = _authsvc()
    document["hooks"]["stored_hash"] = ["${PYTHON}", "x.py", "{email}"]
    assert parse_profile(document).hooks.stored_hash[0] == "${PYTHON}"
