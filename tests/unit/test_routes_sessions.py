"""POST /v1/sessions and DELETE /v1/sessions/current: login rules, over HTTP."""

from __future__ import annotations

import asyncio
import threading
import unicodedata
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from authsvc.app import create_app
from authsvc.clock import ManualClock
from authsvc.config import Settings
from authsvc.domain.credentials import UserRecord
from authsvc.security.hashing import Argon2Params, PasswordHasher, make_bcrypt, make_pbkdf2_sha256
from authsvc.security.identifiers import canonical_email
from authsvc.security.passwords import normalize_password
from authsvc.store.db import Database, make_engine
from authsvc.store.models import login_throttle, users
from authsvc.store.repository import Repository
from tests.unit._helpers import (
    CLIENT_ADDR,
    EMAIL,
    PASSWORD,
    Api,
    make_client,
    metric_value,
    services_of,
)

pytestmark = pytest.mark.anyio

_VOLATILE_HEADERS = {"date", "x-request-id"}


def _fingerprint(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    headers = sorted((k, v) for k, v in response.headers.items() if k not in _VOLATILE_HEADERS)
    return response.status_code, response.content, headers


def _seed(repo: Repository, clock: ManualClock, email: str, password_hash: str, **kw: Any) -> None:
    repo.create_user(
        UserRecord(
            id=f"id-{email}",
            email_canonical=email.lower(),
            email_display=email,
            password_hash=password_hash,
            disabled=kw.get("disabled", False),
            created_at=clock.now(),
        )
    )


def _stored_hash(repo: Repository, email: str) -> str:
    user = repo.find_user(canonical_email(email))
    assert user is not None
    return user.password_hash


class _CountingHasher:
    """Wraps the app's hasher and counts verify / dummy_verify calls."""

    def __init__(self, inner: PasswordHasher) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def verify(self, stored: str, password: str) -> Any:
        self.calls.append("verify")
        return self.inner.verify(stored, password)

    def dummy_verify(self, password: str) -> None:
        self.calls.append("dummy_verify")
        self.inner.dummy_verify(password)

    def hash(self, password: str) -> str:
        self.calls.append("hash")
        return self.inner.hash(password)


def _count_hashing(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> _CountingHasher:
    accounts = services_of(app).accounts
    counting = _CountingHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", counting)
    return counting


async def test_login_returns_a_token_pair(api: Api) -> None:
    """200 with a bearer access token, its lifetime, and a refresh token; not cacheable."""
    await api.register()
    response = await api.login()
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert len(body["refresh_token"]) >= 43
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.incident("INC-2024-05-25")
@pytest.mark.parametrize("typed", ["ada.lovelace@example.com", "  ADA.LOVELACE@EXAMPLE.COM  "])
async def test_login_uses_the_canonical_email(api: Api, typed: str) -> None:
    """Case and surrounding whitespace do not matter for the identifier."""
    created = (await api.register()).json()
    pair = await api.tokens(typed)
    assert (await api.me(pair["access_token"])).json()["id"] == created["id"]


@pytest.mark.parametrize(
    "wrong",
    [PASSWORD.upper(), PASSWORD.capitalize(), PASSWORD.strip() + " ", PASSWORD[:-1], ""],
)
async def test_password_is_compared_exactly(api: Api, wrong: str) -> None:
    """No case folding, no trimming; an empty password simply fails."""
    await api.register()
    assert (await api.login(EMAIL, wrong)).status_code == 401


async def test_no_truncation(api: Api) -> None:
    """A 100-character password does not log in with its first 72 or 64 characters."""
    password = "".join(chr(0x61 + i % 26) for i in range(100))
    await api.register(EMAIL, password)
    assert (await api.login(EMAIL, password[:72])).status_code == 401
    assert (await api.login(EMAIL, password[:64])).status_code == 401
    assert (await api.login(EMAIL, password)).status_code == 200


async def test_normalisation_is_the_same_at_registration_and_login(api: Api) -> None:
    """NFC at registration, NFD at login (and the reverse) are the same password."""
    nfc = unicodedata.normalize("NFC", "crème brûlée forever")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    await api.register(EMAIL, nfc)
    assert (await api.login(EMAIL, nfd)).status_code == 200
    await api.register("b@example.com", nfd)
    assert (await api.login("b@example.com", nfc)).status_code == 200


async def test_failures_are_indistinguishable(
    api: Api, repo: Repository, clock: ManualClock
) -> None:
    """Unknown account, wrong password, locked and disabled: same status, body, headers."""
    await api.register()
    await api.register("locked@example.com")
    _seed(repo, clock, "disabled@example.com", PasswordHasher().hash(PASSWORD), disabled=True)
    unknown = await api.login("nobody@example.com", PASSWORD)
    wrong = await api.login(EMAIL, "not the password")
    for _ in range(5):
        await api.login("locked@example.com", "nope nope nope")
    locked = await api.login("locked@example.com", PASSWORD)
    disabled = await api.login("disabled@example.com", PASSWORD)
    invalid = await api.login("not-an-email", PASSWORD)
    too_long = await api.login(EMAIL, "x" * 2000)
    reference = _fingerprint(unknown)
    assert reference[0] == 401
    for response in (wrong, locked, disabled, invalid, too_long):
        assert _fingerprint(response) == reference
    assert unknown.headers["www-authenticate"].startswith("Bearer")
    assert unknown.headers["content-type"] == "application/problem+json"


async def test_unknown_account_costs_one_verification(
    api: Api, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown e-mail: exactly one dummy verification; known: exactly one real one."""
    await api.register()
    counting = _count_hashing(app, monkeypatch)
    await api.login("nobody@example.com", PASSWORD)
    assert counting.calls == ["dummy_verify"]
    counting.calls.clear()
    await api.login(EMAIL, "wrong password!")
    assert counting.calls == ["verify"]


async def test_a_password_nfkc_changes_costs_two_verifications_either_way(
    api: Api, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The as-typed fallback costs a second verification; an unknown account pays it too,
    so the fallback does not reveal which addresses have an account."""
    await api.register()
    counting = _count_hashing(app, monkeypatch)
    typed = "\uff57\uff52\uff4f\uff4e\uff47 password"  # fullwidth "wrong": NFKC changes it
    await api.login("nobody@example.com", typed)
    assert counting.calls == ["dummy_verify", "dummy_verify"]
    counting.calls.clear()
    await api.login(EMAIL, typed)
    assert counting.calls == ["verify", "verify"]


@pytest.mark.incident("INC-2024-05-25")
@pytest.mark.parametrize(
    "make_hash",
    [
        lambda pw: make_pbkdf2_sha256(pw, iterations=1000),
        lambda pw: make_bcrypt(pw, rounds=4, prefix="2y"),
        lambda pw: PasswordHasher(Argon2Params(memory_cost=256, time_cost=1)).hash(pw),
    ],
    ids=["pbkdf2_sha256", "bcrypt-2y", "argon2id-imported"],
)
async def test_imported_hash_of_the_password_as_typed_logs_in(
    api: Api, repo: Repository, clock: ManualClock, make_hash: Callable[[str], str]
) -> None:
    """Legacy systems hashed what the user typed, not its NFKC form: such a user logs in,
    and the hash is replaced by argon2id of the NFKC form (one fallback, ever)."""
    typed = "\uff30assword\u00b2\uff10\uff12 Jose\u0301"  # fullwidth, superscript, NFD accent
    assert normalize_password(typed) != typed
    _seed(repo, clock, "typed@example.com", make_hash(typed))
    assert (await api.login("typed@example.com", typed)).status_code == 200
    upgraded = _stored_hash(repo, "typed@example.com")
    assert upgraded.startswith("$argon2id$")
    assert (
        PasswordHasher(Argon2Params(memory_cost=256, time_cost=1))
        .verify(upgraded, normalize_password(typed))
        .ok
    )
    assert (await api.login("typed@example.com", typed)).status_code == 200


async def test_no_upgrade_from_a_bcrypt_login_over_72_bytes(
    api: Api, repo: Repository, clock: ManualClock
) -> None:
    """bcrypt verified only 72 bytes: re-hashing what was typed could store a typo and
    lock the owner out, so the account stays on bcrypt and both spellings keep working."""
    real = "p" * 72 + "-the real tail"
    legacy = make_bcrypt(real, rounds=4)
    _seed(repo, clock, "long@example.com", legacy)
    assert (await api.login("long@example.com", "p" * 72 + "-a typo")).status_code == 200
    assert _stored_hash(repo, "long@example.com") == legacy
    assert (await api.login("long@example.com", real)).status_code == 200


async def test_too_long_password_at_login_is_not_hashed(
    api: Api, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over 1024 code points: refused before any hashing."""
    await api.register()
    counting = _count_hashing(app, monkeypatch)
    assert (await api.login(EMAIL, "y" * 50_000)).status_code == 401
    assert counting.calls == []


async def test_lockout_after_threshold_even_with_right_password(
    api: Api, clock: ManualClock
) -> None:
    """Five failures lock; the right password is refused until the window has passed."""
    await api.register()
    for _ in range(5):
        assert (await api.login(EMAIL, "wrong password")).status_code == 401
    assert (await api.login()).status_code == 401
    clock.advance(899)
    assert (await api.login()).status_code == 401
    clock.advance(2)
    assert (await api.login()).status_code == 200


async def test_success_resets_the_counter(api: Api) -> None:
    """Four failures, a success, four failures: never locked."""
    await api.register()
    for _ in range(4):
        await api.login(EMAIL, "wrong password")
    assert (await api.login()).status_code == 200
    for _ in range(4):
        await api.login(EMAIL, "wrong password")
    assert (await api.login()).status_code == 200


async def test_case_variants_count_together(api: Api) -> None:
    """The lock is keyed by the canonical e-mail."""
    await api.register()
    for variant in ("ADA.LOVELACE@EXAMPLE.COM", "ada.lovelace@example.com ", EMAIL) * 2:
        await api.login(variant, "wrong password")
    assert (await api.login()).status_code == 401


async def test_locked_attempts_do_not_extend_the_lock(api: Api, clock: ManualClock) -> None:
    """Attempts during the lock neither count nor push its end further out."""
    await api.register()
    for _ in range(5):
        await api.login(EMAIL, "wrong password")
    clock.advance(600)
    for _ in range(5):
        await api.login(EMAIL, "wrong password")
    clock.advance(301)
    assert (await api.login()).status_code == 200


async def test_fifty_parallel_failures_lock_exactly_at_the_threshold(
    api: Api, repo: Repository, caplog: pytest.LogCaptureFixture
) -> None:
    """Atomic counting: every failure is counted and the lock starts exactly once."""
    await api.register()
    caplog.set_level("INFO", logger="authsvc")
    responses = await asyncio.gather(*(api.login(EMAIL, f"wrong {i}") for i in range(50)))
    assert {r.status_code for r in responses} == {401}
    with repo.db.read() as conn:
        row = conn.execute(select(login_throttle)).one()
    assert row.locked_until is not None
    assert 5 <= row.failures <= 50
    assert [r.getMessage() for r in caplog.records].count("account_locked") == 1
    assert (await api.login()).status_code == 401


async def test_lock_holds_across_workers(
    api: Api, make_settings: Callable[..., Settings], clock: ManualClock
) -> None:
    """Two app instances (two workers) on one database share the failure counter."""
    await api.register()
    other = create_app(make_settings(), clock=clock)
    async with other.router.lifespan_context(other), make_client(other) as second:
        other_api = Api(second)
        for attempt in range(5):
            await (api if attempt % 2 else other_api).login(EMAIL, "wrong password")
        assert (await other_api.login()).status_code == 401
    assert (await api.login()).status_code == 401


async def test_unknown_addresses_lock_like_known_ones(api: Api) -> None:
    """A lock says nothing about existence; registering afterwards starts clean."""
    for _ in range(5):
        await api.login("ghost@example.com", "wrong password")
    assert (await api.register("ghost@example.com")).status_code == 201
    assert (await api.login("ghost@example.com")).status_code == 200


@pytest.mark.parametrize(
    "make_hash",
    [
        lambda pw: make_pbkdf2_sha256(pw, iterations=1000),
        lambda pw: make_bcrypt(pw, rounds=4, prefix="2a"),
        lambda pw: make_bcrypt(pw, rounds=4, prefix="2b"),
        lambda pw: make_bcrypt(pw, rounds=4, prefix="2y"),
    ],
    ids=["pbkdf2_sha256", "bcrypt-2a", "bcrypt-2b", "bcrypt-2y"],
)
@pytest.mark.incident("INC-2024-05-25")
async def test_legacy_hash_is_upgraded_on_success_only(
    api: Api,
    repo: Repository,
    clock: ManualClock,
    client: httpx.AsyncClient,
    make_hash: Callable[[str], str],
) -> None:
    """A wrong password leaves the legacy hash alone; the right one moves it to argon2id."""
    legacy = make_hash(PASSWORD)
    _seed(repo, clock, "legacy@example.com", legacy)
    assert (await api.login("legacy@example.com", "wrong password")).status_code == 401
    assert _stored_hash(repo, "legacy@example.com") == legacy
    assert (await api.login("legacy@example.com")).status_code == 200
    assert _stored_hash(repo, "legacy@example.com").startswith("$argon2id$")
    assert (await api.login("legacy@example.com")).status_code == 200
    scheme = "pbkdf2_sha256" if legacy.startswith("pbkdf2") else "bcrypt"
    text = (await client.get("/metrics")).text
    upgraded = metric_value(
        text, "authsvc_hash_upgrades_total", from_scheme=scheme, outcome="upgraded"
    )
    assert upgraded == 1


async def test_argon2_parameter_change_upgrades_at_next_login(
    api: Api, repo: Repository, make_settings: Callable[..., Settings], clock: ManualClock
) -> None:
    """New parameters: the old hash still verifies and is rehashed with the new ones."""
    await api.register()
    assert "m=256,t=1" in _stored_hash(repo, EMAIL)
    stronger = create_app(make_settings(argon2_memory_cost=512, argon2_time_cost=2), clock=clock)
    async with stronger.router.lifespan_context(stronger), make_client(stronger) as http:
        assert (await Api(http).login(EMAIL, "wrong password")).status_code == 401
        assert "m=256,t=1" in _stored_hash(repo, EMAIL)
        assert (await Api(http).login()).status_code == 200
    assert "m=512,t=2" in _stored_hash(repo, EMAIL)


async def test_rate_limit_per_client(make_settings: Callable[..., Settings]) -> None:
    """Over the per-client limit: 429 with Retry-After; other clients are unaffected."""
    app = create_app(make_settings(client_rate_limit=3))
    async with app.router.lifespan_context(app), make_client(app) as http:
        api = Api(http)
        statuses = [(await api.login("x@example.com", "whatever1")).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        limited = await api.login("x@example.com", "whatever1")
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["type"] == "urn:authsvc:problem:rate-limited"
        async with make_client(app, peer="192.0.2.99") as other:
            assert (await Api(other).login("x@example.com", "whatever1")).status_code == 401
        text = (await http.get("/metrics")).text
        assert metric_value(text, "authsvc_login_attempts_total", outcome="rate_limited") == 2


async def test_successful_logins_do_not_count_toward_the_client_limit(
    make_settings: Callable[..., Settings],
) -> None:
    """Only failures count: a busy client (or a NAT) that logs in correctly is never throttled."""
    app = create_app(make_settings(client_rate_limit=2))
    async with app.router.lifespan_context(app), make_client(app) as http:
        api = Api(http)
        await api.register()
        statuses = [(await api.login()).status_code for _ in range(5)]
        assert statuses == [200] * 5
        assert (await api.login(EMAIL, "wrong password 1")).status_code == 401
        assert (await api.login()).status_code == 200
        assert (await api.login(EMAIL, "wrong password 2")).status_code == 401
        # Two failures reach the limit: now even the right password waits for the window.
        assert (await api.login()).status_code == 429


async def test_forwarded_for_is_ignored_from_untrusted_peers(
    make_settings: Callable[..., Settings],
) -> None:
    """A client cannot dodge the limit by inventing X-Forwarded-For values."""
    app = create_app(make_settings(client_rate_limit=2))
    async with app.router.lifespan_context(app), make_client(app) as http:
        statuses = []
        for i in range(3):
            response = await http.post(
                "/v1/sessions",
                json={"email": "x@example.com", "password": "whatever1"},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
            )
            statuses.append(response.status_code)
        assert statuses == [401, 401, 429]


async def test_forwarded_for_is_used_behind_a_trusted_proxy(
    make_settings: Callable[..., Settings],
) -> None:
    """Behind a trusted proxy each forwarded client has its own budget."""
    app = create_app(make_settings(client_rate_limit=1, trusted_proxies=[f"{CLIENT_ADDR}/32"]))
    async with app.router.lifespan_context(app), make_client(app) as http:

        async def attempt(forwarded: str) -> int:
            response = await http.post(
                "/v1/sessions",
                json={"email": "x@example.com", "password": "whatever1"},
                headers={"X-Forwarded-For": forwarded},
            )
            return response.status_code

        assert await attempt("203.0.113.1") == 401
        assert await attempt("203.0.113.2") == 401
        assert await attempt("203.0.113.1") == 429
        # A forged left-most entry does not help: the right-most untrusted one counts.
        assert await attempt("10.9.9.9, 203.0.113.1") == 429


async def test_login_metrics_by_outcome(api: Api, client: httpx.AsyncClient) -> None:
    """success, bad_credentials and locked are counted separately."""
    await api.register()
    await api.login()
    for _ in range(5):
        await api.login(EMAIL, "wrong password")
    await api.login()
    text = (await client.get("/metrics")).text
    name = "authsvc_login_attempts_total"
    assert metric_value(text, name, outcome="success") == 1
    assert metric_value(text, name, outcome="bad_credentials") == 5
    assert metric_value(text, name, outcome="locked") == 1
    assert metric_value(text, name, outcome="error") == 0


async def test_logout_revokes_access_and_refresh_tokens(
    api: Api, client: httpx.AsyncClient
) -> None:
    """204; the access token is dead at once, and so is the refresh family."""
    await api.register()
    pair = await api.tokens()
    other = await api.tokens()
    auth = {"Authorization": f"Bearer {pair['access_token']}"}
    response = await client.delete("/v1/sessions/current", headers=auth)
    assert response.status_code == 204
    assert response.headers["cache-control"] == "no-store"
    assert (await api.me(pair["access_token"])).status_code == 401
    assert (await api.refresh(pair["refresh_token"])).status_code == 401
    again = await client.delete("/v1/sessions/current", headers=auth)
    assert again.status_code == 401
    assert (await api.me(other["access_token"])).status_code == 200


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer not-a-jwt", "Basic dXNlcjpwdw=="])
async def test_logout_requires_a_valid_token(client: httpx.AsyncClient, header: str | None) -> None:
    """Missing or invalid credentials: 401 problem with a Bearer challenge."""
    headers = {"Authorization": header} if header is not None else {}
    response = await client.delete("/v1/sessions/current", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"


async def test_disabled_account_tokens_stop_working(api: Api, repo: Repository) -> None:
    """Disabling an account ends its sessions on the next request."""
    await api.register()
    pair = await api.tokens()
    with repo.db.write() as conn:
        conn.execute(update(users).values(disabled=True))
    assert (await api.me(pair["access_token"])).status_code == 401
    assert (await api.refresh(pair["refresh_token"])).status_code == 401


async def test_database_down_is_503_and_counted(
    api: Api, app: FastAPI, client: httpx.AsyncClient
) -> None:
    """An unreachable database is a 503 problem, counted as a login error."""
    await api.register()
    repo = services_of(app).repo
    working, repo.db = repo.db, Database(make_engine("sqlite:////nonexistent/dir/authsvc.db"))
    try:
        response = await api.login()
    finally:
        repo.db = working
    assert response.status_code == 503
    assert response.json()["type"] == "urn:authsvc:problem:unavailable"
    assert "sqlite" not in response.text.lower()
    text = (await client.get("/metrics")).text
    assert metric_value(text, "authsvc_login_attempts_total", outcome="error") == 1


async def test_hashing_does_not_block_authenticated_reads(api: Api, app: FastAPI) -> None:
    """With every hashing thread busy, GET /v1/me is still served."""
    await api.register()
    pair = await api.tokens()
    offload = services_of(app).offload
    loop = asyncio.get_running_loop()

    gate = threading.Event()
    blockers = [loop.run_in_executor(offload._hash_pool, gate.wait) for _ in range(4)]
    try:
        response = await asyncio.wait_for(api.me(pair["access_token"]), timeout=5)
        assert response.status_code == 200
    finally:
        gate.set()
        await asyncio.gather(*blockers)
