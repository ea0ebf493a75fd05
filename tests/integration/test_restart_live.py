"""Restarting the service with new settings on the same database must not log anyone out.

The failure class this project exists for is an update that breaks login for users the new
version did not create: tokens issued before a signing-key rotation, hashes made with older
argon2id parameters. Each test here runs dedicated servers one after another on one
database, as a rolling deploy would.
"""

from __future__ import annotations

import base64
import json
import secrets

import pytest

from tests.integration._client import AuthClient, Tokens, new_password, unique_email
from tests.integration._servers import MakeDatabase, StartLiveServer

KINDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


def signing_keys(*kids: str, secrets_by_kid: dict[str, str]) -> str:
    """``AUTHSVC_SIGNING_KEYS`` for ``kids`` in order (the first one signs)."""
    return json.dumps([{"kid": kid, "secret": secrets_by_kid[kid]} for kid in kids])


def token_kid(token: str) -> str:
    """The ``kid`` in a JWT's header (read, not verified)."""
    header = token.split(".", maxsplit=1)[0]
    decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    return str(decoded["kid"])


def argon2_memory(stored: str) -> int:
    """The ``m=`` parameter of an argon2id PHC string."""
    params = stored.split("$")[3]
    return int(dict(part.split("=") for part in params.split(","))["m"])


@pytest.mark.parametrize("kind", KINDS)
def test_key_rotation_and_new_hash_parameters_keep_users_logged_in(
    kind: str, make_database: MakeDatabase, start_live_server: StartLiveServer
) -> None:
    """v1 (key k1, m=1024) → v2 (keys k2,k1, m=2048) → v3 (key k2 only), one database.

    v2 accepts v1's tokens and upgrades v1's hash at the next login; v3 drops k1, so only
    tokens from v1 stop working.
    """
    database = make_database(kind)
    keys = {kid: secrets.token_urlsafe(48) for kid in ("k1", "k2")}
    email, password = unique_email("deploy"), new_password()

    def hash_memory() -> int:
        rows = database.fetch_all(
            "SELECT password_hash FROM users WHERE email_canonical = :email", {"email": email}
        )
        return argon2_memory(str(rows[0][0]))

    v1 = start_live_server(
        database,
        env={
            "AUTHSVC_SIGNING_KEYS": signing_keys("k1", secrets_by_kid=keys),
            "AUTHSVC_ARGON2_MEMORY_COST": "1024",
        },
    )
    with AuthClient(v1.base_url) as client:
        assert client.register(email, password).status_code == 201
        old = client.login_tokens(email, password)
    assert token_kid(old.access_token) == "k1"
    assert hash_memory() == 1024
    v1.stop()

    v2 = start_live_server(
        database,
        env={
            "AUTHSVC_SIGNING_KEYS": signing_keys("k2", "k1", secrets_by_kid=keys),
            "AUTHSVC_ARGON2_MEMORY_COST": "2048",
        },
    )
    with AuthClient(v2.base_url) as client:
        assert client.me(old.access_token).status_code == 200
        new = client.login_tokens(email, password)
        assert token_kid(new.access_token) == "k2"
        assert hash_memory() == 2048
        refreshed = Tokens.from_response(client.refresh(old.refresh_token))
    v2.stop()

    v3 = start_live_server(
        database, env={"AUTHSVC_SIGNING_KEYS": signing_keys("k2", secrets_by_kid=keys)}
    )
    with AuthClient(v3.base_url) as client:
        assert client.me(old.access_token).status_code == 401
        assert client.me(new.access_token).status_code == 200
        assert client.me(refreshed.access_token).status_code == 200
        client.login_tokens(email, password)
