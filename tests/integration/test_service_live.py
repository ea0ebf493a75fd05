"""The real service under uvicorn: user journeys on SQLite and PostgreSQL, 1 and 2 workers.

Every test runs against the shared ``service`` fixture (one server per database kind and
worker count) with accounts of its own. Where a rule must hold on every worker, the test
pins one connection to each worker (``per_worker``) instead of trusting the kernel to spread
requests.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration._client import AuthClient, Tokens, new_password, unique_email
from tests.integration._schema_history import django_pbkdf2_sha256, php_bcrypt
from tests.integration._servers import LiveServer

LEEWAY_MARGIN = 300  # seconds past expiry; more than any leeway the service may allow


def stored_hash(service: LiveServer, canonical_email: str) -> str:
    """The password hash stored for an account, read from the database directly."""
    rows = service.database.fetch_all(
        "SELECT password_hash FROM users WHERE email_canonical = :email",
        {"email": canonical_email},
    )
    assert len(rows) == 1, rows
    return str(rows[0][0])


def test_register_login_me_refresh_logout(client: AuthClient) -> None:
    """The whole journey, with rotation, reuse detection and revocation on logout."""
    email, password = unique_email("journey"), new_password()

    registered = client.register(email, password)
    assert registered.status_code == 201, registered.text
    account = registered.json()
    assert account["email"] == email
    assert "password" not in registered.text
    assert "$argon2" not in registered.text

    login = client.login(email, password)
    assert "no-store" in login.headers.get("cache-control", "")
    tokens = Tokens.from_response(login)
    assert tokens.expires_in > 0

    me = client.me(tokens.access_token)
    assert me.status_code == 200, me.text
    assert me.json()["id"] == account["id"]
    assert me.json()["email"] == email

    refreshed = Tokens.from_response(client.refresh(tokens.refresh_token))
    assert refreshed.refresh_token != tokens.refresh_token
    assert refreshed.access_token != tokens.access_token
    assert client.me(refreshed.access_token).json()["id"] == account["id"]

    # Reusing the rotated refresh token is theft: it fails, and so does the whole family.
    assert client.refresh(tokens.refresh_token).status_code in {400, 401}
    assert client.refresh(refreshed.refresh_token).status_code in {400, 401}

    fresh = client.login_tokens(email, password)
    assert client.logout(fresh.access_token).status_code == 204
    assert client.me(fresh.access_token).status_code == 401
    assert client.refresh(fresh.refresh_token).status_code in {400, 401}


def test_email_spellings_reach_one_account(client: AuthClient) -> None:
    """Case, surrounding spaces and NFKC look-alikes all log into the same account."""
    local = f"kelvin.{secrets.token_hex(5)}"
    email = f"{local.title()}@Example.TEST"
    password = new_password()
    registered = client.register(email, password)
    assert registered.status_code == 201, registered.text
    account_id = registered.json()["id"]

    variants = [
        email.lower(),
        email.upper(),
        f"  {email}\t",
        # KELVIN SIGN and FULLWIDTH LATIN CAPITAL E become "k" and "e" under NFKC + casefold.
        email.replace("K", "\u212a").replace("E", "\uff25"),
    ]
    for variant in variants:
        tokens = client.login_tokens(variant, password)
        assert client.me(tokens.access_token).json()["id"] == account_id, variant

    duplicate = client.register(email.upper(), new_password())
    assert duplicate.status_code == 409, duplicate.text


def test_logout_kills_the_token_on_every_worker(
    client: AuthClient, per_worker: dict[int, AuthClient]
) -> None:
    """A logged-out access token is refused by every worker, not just the one that revoked it."""
    email, password = unique_email("logout"), new_password()
    assert client.register(email, password).status_code == 201
    tokens = client.login_tokens(email, password)
    for worker, pinned in per_worker.items():
        assert pinned.me(tokens.access_token).status_code == 200, f"worker {worker}"

    first = next(iter(per_worker.values()))
    assert first.logout(tokens.access_token).status_code == 204
    for worker, pinned in per_worker.items():
        assert pinned.me(tokens.access_token).status_code == 401, f"worker {worker}"


def test_moving_the_clock_expires_the_access_token(
    service: LiveServer,
    client: AuthClient,
    per_worker: dict[int, AuthClient],
    clock: Callable[[float], None],
) -> None:
    """Past ``expires_in`` (and any leeway) every worker refuses the token; refresh still works."""
    email, password = unique_email("clock"), new_password()
    assert client.register(email, password).status_code == 201
    tokens = client.login_tokens(email, password)
    assert client.me(tokens.access_token).status_code == 200

    clock(tokens.expires_in - 120)
    for worker, pinned in per_worker.items():
        assert pinned.me(tokens.access_token).status_code == 200, f"worker {worker} too early"

    clock(tokens.expires_in + LEEWAY_MARGIN)
    for worker, pinned in per_worker.items():
        assert pinned.me(tokens.access_token).status_code == 401, f"worker {worker}"

    # The refresh token outlives the access token; a login under the moved clock works too.
    refreshed = Tokens.from_response(client.refresh(tokens.refresh_token))
    assert client.me(refreshed.access_token).status_code == 200
    assert client.me(client.login_tokens(email, password).access_token).status_code == 200


@pytest.mark.parametrize("make_hash", [django_pbkdf2_sha256, php_bcrypt], ids=["pbkdf2", "bcrypt"])
def test_imported_legacy_hash_is_upgraded_on_login(
    service: LiveServer, client: AuthClient, tmp_path: Path, make_hash: Callable[[str], str]
) -> None:
    """``authsvc import-users`` accepts the legacy hash; a wrong password leaves it alone, the
    right one logs in and rewrites it as argon2id, and the new hash works."""
    email, password = unique_email("legacy"), new_password()
    legacy = make_hash(password)
    source = tmp_path / "users.jsonl"
    source.write_text(
        json.dumps({"email": email, "password_hash": legacy, "disabled": False}) + "\n",
        encoding="utf-8",
    )
    result = service.run_cli("import-users", str(source))
    assert result.returncode == 0, result.stdout + result.stderr
    assert stored_hash(service, email) == legacy

    assert client.login(email, password + "!").status_code == 401
    assert stored_hash(service, email) == legacy, "a failed login rewrote the hash"

    client.login_tokens(email, password)
    upgraded = stored_hash(service, email)
    assert upgraded.startswith("$argon2id$"), upgraded
    client.login_tokens(email, password)
    assert stored_hash(service, email) == upgraded
