"""An in-process authsvc for property tests: the real app, a SQLite file, a manual clock.

The app runs on an event loop in a background thread (an AnyIO blocking portal) and is
called through ``httpx.ASGITransport``, so Hypothesis tests stay synchronous while every
request goes through the whole ASGI stack: middleware, routing, validation, services,
SQL. Nothing is mocked; the only test hooks are the injected :class:`ManualClock` and
direct store access for grey-box properties (seeding a legacy hash, reading it back).

One service serves a whole test module; :meth:`InProcessService.reset` empties the
database and rewinds the clock at the start of every Hypothesis example, so examples
never see each other's accounts.
"""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from sqlalchemy import update

from authsvc.app import create_app
from authsvc.clock import ManualClock
from authsvc.config import Settings
from authsvc.deps import Services
from authsvc.domain.credentials import UserRecord
from authsvc.security.identifiers import canonical_email
from authsvc.store.migrate import upgrade
from authsvc.store.models import metadata, users
from tests._api import AuthsvcCalls
from tests.strategies import FAST_ARGON2, POLICY

__all__ = [
    "ACCESS_TTL",
    "LEEWAY",
    "LOCKOUT_THRESHOLD",
    "LOCKOUT_WINDOW",
    "SESSION_LIFETIME",
    "START",
    "InProcessService",
    "assert_not_echoed",
    "bearer",
    "service_settings",
]

#: Where every example's clock starts: fixed, so failures replay exactly.
START = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
ACCESS_TTL = 900
LEEWAY = 30
SESSION_LIFETIME = 7 * 86_400
LOCKOUT_THRESHOLD = 5
LOCKOUT_WINDOW = 900
_SIGNING_KEY = {"kid": "prop-k1", "secret": "property-suite-signing-key-0123456789-abcdefgh"}


def service_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for a test service: every value that a property depends on is pinned.

    Explicit values win over ``AUTHSVC_*`` variables, so a developer's environment (or
    the integration run's offset-file clock) cannot change what these tests assert.
    """
    values: dict[str, Any] = {
        "database_url": database_url,
        "dev_mode": False,
        "signing_keys": [_SIGNING_KEY],
        "argon2_memory_cost": FAST_ARGON2.memory_cost,
        "argon2_time_cost": FAST_ARGON2.time_cost,
        "argon2_parallelism": FAST_ARGON2.parallelism,
        "password_min_length": POLICY.min_length,
        "access_ttl_seconds": ACCESS_TTL,
        "leeway_seconds": LEEWAY,
        "refresh_ttl_seconds": SESSION_LIFETIME,
        "lockout_threshold": LOCKOUT_THRESHOLD,
        "lockout_window_seconds": LOCKOUT_WINDOW,
        # All traffic comes from one test client; the per-client limiter would turn
        # later examples into 429s. It has its own unit tests.
        "client_rate_limit": 0,
        "hash_workers": 2,
        "clock_offset_file": None,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def assert_not_echoed(secret: str, response: httpx.Response) -> None:
    """``secret`` (a password or token) does not come back in ``response``'s body.

    No JSON string in the body equals it, and a secret long enough not to occur by
    chance (12+ characters) appears nowhere in the text.
    """
    try:
        values = _strings(response.json())
    except ValueError:
        values = []
    assert secret not in values, "a submitted secret is echoed"
    if len(secret) >= 12:
        assert secret not in response.text, "a submitted secret is echoed"


def bearer(token: str) -> dict[str, str]:
    """An Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


class InProcessService(AuthsvcCalls):
    """The app, its clock and its store, behind a synchronous HTTP client."""

    def __init__(self, directory: Path, **overrides: Any) -> None:
        url = f"sqlite:///{directory / 'authsvc.db'}"
        upgrade(url)
        self.clock = ManualClock(START)
        self.settings = service_settings(url, **overrides)
        self.app = create_app(self.settings, clock=self.clock)
        self._stack = ExitStack()
        self._portal: BlockingPortal | None = None
        self._client: httpx.AsyncClient | None = None

    @property
    def services(self) -> Services:
        """The app's service container (store, services, metrics)."""
        services: Services = self.app.state.services
        return services

    def __enter__(self) -> Self:
        portal = self._stack.enter_context(start_blocking_portal())
        # Run the app's own lifespan, as a server would: startup before the first
        # request, shutdown (pools closed, engine disposed) at the end.
        self._stack.enter_context(
            portal.wrap_async_context_manager(self.app.router.lifespan_context(self.app))
        )
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://authsvc.test"
        )
        self._stack.callback(portal.call, client.aclose)
        self._portal, self._client = portal, client
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stack.close()

    # -- HTTP ----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """Send one request through the ASGI app and return the complete response."""
        if self._portal is None or self._client is None:
            raise RuntimeError("use the service as a context manager")
        all_headers = dict(headers or {})
        if token is not None:
            all_headers.update(bearer(token))
        client = self._client

        async def send() -> httpx.Response:
            return await client.request(
                method, path, json=json, headers=all_headers, content=content
            )

        return self._portal.call(send)

    # -- state (grey-box hooks) --------------------------------------------------------

    def reset(self) -> None:
        """Forget every account, session and failure streak; rewind the clock."""
        with self.services.repo.db.write() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
        self.clock.set(START)

    def seed_account(self, email: str, stored_hash: str, *, disabled: bool = False) -> str:
        """Insert an account with a given stored hash (as ``import-users`` would); its id."""
        user = UserRecord(
            id=str(uuid.uuid4()),
            email_canonical=canonical_email(email),
            email_display=email.strip(),
            password_hash=stored_hash,
            disabled=disabled,
            created_at=self.clock.now(),
        )
        self.services.repo.create_user(user)
        return user.id

    def stored_hash(self, email: str) -> str:
        """The password hash stored for ``email`` right now."""
        user = self.services.repo.find_user(canonical_email(email))
        if user is None:
            raise LookupError(email)
        return user.password_hash

    def account_count(self) -> int:
        """How many accounts exist."""
        with self.services.repo.db.read() as conn:
            return len(conn.execute(users.select()).fetchall())

    def disable(self, email: str) -> None:
        """Mark the account disabled, as an administrator would."""
        with self.services.repo.db.write() as conn:
            conn.execute(
                update(users)
                .where(users.c.email_canonical == canonical_email(email))
                .values(disabled=True)
            )
