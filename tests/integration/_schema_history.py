"""Accounts as each schema head's authsvc wrote them, and what their users must still do.

Every revision in Alembic's script directory (``authsvc/migrations/versions``) has an entry in
:data:`SCHEMA_WRITES`: the SQL that version of authsvc ran to store an account, a session and
its refresh token. The tests are parametrised over :func:`revisions`, so a new migration makes
its predecessor an earlier head without anyone editing a test; the new revision itself fails
(:func:`writes_for`) until its own statements are recorded here, while its schema is still the
head and they can be checked against it.

The hashes are made here with hashlib, bcrypt and argon2-cffi, not with authsvc: they stand
for what an older version (or the system it imported users from) stored. The checks
(:func:`check_old_accounts`) go through the HTTP API only, so they run against the app
in-process (``tests/unit/test_migrate.py``) and against a live ``authsvc serve``
(``tests/integration/test_migrations_live.py``) alike.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

import argon2
import bcrypt
import httpx
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from authsvc.store.migrate import alembic_config

#: SQLAlchemy's storage format for datetimes on SQLite (authsvc stores naive UTC there).
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def revisions() -> list[str]:
    """Every revision in Alembic's script directory, oldest first (the last one is head)."""
    script = ScriptDirectory.from_config(alembic_config())
    heads = script.get_heads()
    if len(heads) != 1:  # pragma: no cover - a branched history needs a merge revision
        raise AssertionError(f"the migrations have {len(heads)} heads: {heads}")
    return [step.revision for step in reversed(list(script.walk_revisions()))]


@dataclass(frozen=True)
class SchemaWrites:
    """The statements one schema head's authsvc ran to store an account and a session."""

    user: str
    session: str
    refresh_token: str
    keeps_typed_email: bool
    """Whether the address as typed was stored (``users.email_display``, from 0002 on)."""


_SESSION = (
    "INSERT INTO sessions (id, user_id, created_at, expires_at, revoked_at, revoked_reason)"
    " VALUES (:session_id, :id, :created_at, :expires_at, NULL, NULL)"
)
_REFRESH_TOKEN = (
    "INSERT INTO refresh_tokens (session_id, token_hash, created_at, used_at)"
    " VALUES (:session_id, :token_hash, :created_at, NULL)"
)

#: Per revision, what that version wrote. Add the new head's statements with its migration.
SCHEMA_WRITES: Mapping[str, SchemaWrites] = MappingProxyType(
    {
        "0001": SchemaWrites(
            user=(
                "INSERT INTO users (id, email_canonical, password_hash, disabled, created_at)"
                " VALUES (:id, :email_canonical, :password_hash, :disabled, :created_at)"
            ),
            session=_SESSION,
            refresh_token=_REFRESH_TOKEN,
            keeps_typed_email=False,
        ),
        "0002": SchemaWrites(
            user=(
                "INSERT INTO users"
                " (id, email_canonical, email_display, password_hash, disabled, created_at)"
                " VALUES (:id, :email_canonical, :email_display, :password_hash, :disabled,"
                " :created_at)"
            ),
            session=_SESSION,
            refresh_token=_REFRESH_TOKEN,
            keeps_typed_email=True,
        ),
    }
)


def writes_for(revision: str) -> SchemaWrites:
    """The statements of ``revision``; a revision nobody recorded is an error that says why."""
    try:
        return SCHEMA_WRITES[revision]
    except KeyError:
        raise AssertionError(
            f"no INSERT statements recorded for schema {revision}: add what authsvc at "
            f"{revision} writes for an account to SCHEMA_WRITES in {__name__}, so that the "
            "next migration is tested against it"
        ) from None


def django_pbkdf2_sha256(password: str, iterations: int = 10_000) -> str:
    """A Django ``pbkdf2_sha256$iterations$salt$hash`` hash, made here rather than by authsvc."""
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode()}"


def php_bcrypt(password: str) -> str:
    """A ``$2y$`` bcrypt hash, as PHP's ``password_hash`` writes it (the same algorithm as $2b$)."""
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    return "$2y$" + hashed[4:]


def argon2id(password: str, *, memory_cost: int = 1024, time_cost: int = 1) -> str:
    """An argon2id hash of the NFKC form, as authsvc's registration writes it.

    Small parameters by default: a hash made with any parameters verifies (and is upgraded
    if old).
    """
    hasher = argon2.PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=1, type=argon2.Type.ID
    )
    return hasher.hash(unicodedata.normalize("NFKC", password))


def argon2id_defaults(password: str) -> str:
    """An argon2id hash at authsvc's default parameters (m=19456 KiB, t=2, p=1).

    At 97 characters the longest hash a default install stores: a migration that sizes the
    hash column by a cheaper hash (m=1024 makes 96) would cut exactly these.
    """
    return argon2id(password, memory_cost=19456, time_cost=2)


@dataclass(frozen=True)
class OldAccount:
    """One account written at an earlier head, and how its user logs in afterwards."""

    label: str
    user_id: str
    typed_email: str
    """The address as the user registered (and types) it."""
    canonical_email: str
    """What every version stored as the identity (trimmed, NFKC, case-folded)."""
    password: str
    password_hash: str
    disabled: bool = False
    refresh_token: str | None = None
    """A refresh token of a session the old version started, if the account holds one."""

    @property
    def is_legacy(self) -> bool:
        """Whether the stored hash is an imported one (replaced by argon2id at a login)."""
        return not self.password_hash.startswith("$argon2id$")

    def spellings(self) -> list[str]:
        """The address as typed, in capitals, in lower case, and with surrounding spaces."""
        typed = self.typed_email
        return [typed, typed.upper(), typed.lower(), f"  {typed}\t"]


def _account(
    label: str,
    typed_email: str,
    canonical_email: str,
    make_hash: Callable[[str], str],
    *,
    disabled: bool = False,
    live_session: bool = False,
) -> OldAccount:
    password = f"Pw {label} {secrets.token_urlsafe(9)}"
    return OldAccount(
        label=label,
        user_id=str(uuid.uuid4()),
        typed_email=typed_email,
        canonical_email=canonical_email,
        password=password,
        password_hash=make_hash(password),
        disabled=disabled,
        refresh_token=secrets.token_urlsafe(32) if live_session else None,
    )


def old_accounts() -> list[OldAccount]:
    """A fresh set (new ids, addresses and passwords) of the accounts an old head holds.

    A current argon2id account holding a session and its refresh token; one hashed at the
    default parameters (the longest stored hash); an imported Django
    PBKDF2 account; an imported PHP ``$2y$`` bcrypt account with a mixed-case address; a
    non-ASCII address whose case folding is not lower-casing (``ß`` folds to ``ss``); and a
    disabled account, which must stay refused.
    """
    tag = secrets.token_hex(4)
    return [
        _account(
            "argon2id",
            f"current.{tag}@example.com",
            f"current.{tag}@example.com",
            argon2id,
            live_session=True,
        ),
        _account(
            "argon2id-defaults",
            f"defaults.{tag}@example.com",
            f"defaults.{tag}@example.com",
            argon2id_defaults,
        ),
        _account(
            "pbkdf2", f"django.{tag}@example.com", f"django.{tag}@example.com", django_pbkdf2_sha256
        ),
        _account(
            "bcrypt-2y-mixed-case",
            f"Php.User.{tag}@Example.COM",
            f"php.user.{tag}@example.com",
            php_bcrypt,
        ),
        _account(
            "unicode-email",
            f"Jürgen.Straße.{tag}@Example.com",
            f"jürgen.strasse.{tag}@example.com",
            argon2id,
        ),
        _account(
            "disabled",
            f"gone.{tag}@example.com",
            f"gone.{tag}@example.com",
            php_bcrypt,
            disabled=True,
        ),
    ]


def write_accounts(
    database_url: str, revision: str, accounts: list[OldAccount], *, now: datetime
) -> None:
    """Store ``accounts`` with the statements of ``revision`` (the database must be at it)."""
    writes = writes_for(revision)
    engine = create_engine(database_url)
    sqlite = engine.dialect.name == "sqlite"

    def stamp(moment: datetime) -> datetime | str:
        # What UTCDateTime binds: naive UTC text on SQLite, an aware value on PostgreSQL.
        utc = moment.astimezone(UTC)
        return utc.replace(tzinfo=None).strftime(SQLITE_DATETIME) if sqlite else utc

    try:
        with engine.begin() as conn:
            for account in accounts:
                row: dict[str, Any] = {
                    "id": account.user_id,
                    "email_canonical": account.canonical_email,
                    "email_display": account.typed_email.strip(),
                    "password_hash": account.password_hash,
                    "disabled": account.disabled,
                    "created_at": stamp(now - timedelta(days=30)),
                }
                conn.execute(text(writes.user), row)
                if account.refresh_token is None:
                    continue
                row |= {
                    "session_id": str(uuid.uuid4()),
                    "created_at": stamp(now - timedelta(hours=1)),
                    "expires_at": stamp(now + timedelta(days=7)),
                    "token_hash": hashlib.sha256(account.refresh_token.encode()).hexdigest(),
                }
                conn.execute(text(writes.session), row)
                conn.execute(text(writes.refresh_token), row)
    finally:
        engine.dispose()


def read_column(database_url: str, query: str, **params: str) -> list[Any]:
    """The first column of every row of a read query (``:name`` placeholders)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(text(query), params)]
    finally:
        engine.dispose()


def stored_hash(database_url: str, account: OldAccount) -> str:
    """The password hash the database holds for ``account`` now."""
    query = "SELECT password_hash FROM users WHERE id = :id"
    (value,) = read_column(database_url, query, id=account.user_id)
    return str(value)


async def check_old_accounts(
    http: httpx.AsyncClient,
    database_url: str,
    revision: str,
    accounts: list[OldAccount],
) -> None:
    """Assert what every user of ``accounts`` (written at ``revision``) can do after upgrade.

    The database is at head. For each account that is not disabled: a wrong password is
    refused and leaves the stored hash alone; the address as typed, in capitals, in lower
    case and padded with spaces all log in, to this account (``/v1/me``: its id and address,
    the typed form if ``revision`` stored it, else the canonical one the migration filled
    in); a legacy hash is replaced by argon2id at the first login; the old session's refresh
    token still rotates; and the address cannot be registered again. A disabled account is
    refused in every spelling.
    """
    head = revisions()[-1]
    assert read_column(database_url, "SELECT version_num FROM alembic_version") == [head]
    keeps_typed = writes_for(revision).keeps_typed_email
    for account in accounts:
        label = f"{account.label} (written at {revision})"
        wrong = await _login(http, account.typed_email, account.password + "!")
        assert wrong.status_code == 401, (label, wrong.status_code, wrong.text)
        assert stored_hash(database_url, account) == account.password_hash, label
        if account.disabled:
            for email in account.spellings():
                refused = await _login(http, email, account.password)
                assert refused.status_code == 401, (label, email, refused.status_code)
            continue
        display = account.typed_email.strip() if keeps_typed else account.canonical_email
        for email in account.spellings():
            login = await _login(http, email, account.password)
            assert login.status_code == 200, (label, email, login.status_code, login.text)
            me = await _me(http, login.json()["access_token"])
            assert me.status_code == 200, (label, email, me.text)
            seen = (me.json()["id"], me.json()["email"])
            assert seen == (account.user_id, display), f"{label}: /v1/me {seen} after {email!r}"
        # A legacy hash is replaced at the first login (an argon2id one too, if the service
        # now uses other parameters); either way the password above kept working after it.
        upgraded = stored_hash(database_url, account)
        assert upgraded.startswith("$argon2id$"), (label, upgraded[:12])
        assert upgraded != account.password_hash or not account.is_legacy, label
        if account.refresh_token is not None:
            refreshed = await http.post(
                "/v1/sessions/refresh", json={"refresh_token": account.refresh_token}
            )
            assert refreshed.status_code == 200, (label, refreshed.text)
            me = await _me(http, refreshed.json()["access_token"])
            assert me.json()["id"] == account.user_id, label
        again = await http.post(
            "/v1/users",
            json={"email": account.typed_email.upper(), "password": f"Pw-{secrets.token_hex(8)}"},
        )
        assert again.status_code == 409, (label, again.status_code, again.text)


async def _login(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await http.post("/v1/sessions", json={"email": email, "password": password})


async def _me(http: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await http.get("/v1/me", headers={"Authorization": f"Bearer {access_token}"})
