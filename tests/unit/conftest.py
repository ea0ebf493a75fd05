"""Shared fixtures for the authsvc unit tests.

Every test gets its own SQLite file (a copy of one database migrated per session), a
:class:`ManualClock`, tiny argon2 parameters, and an in-process HTTP client with the
app's lifespan running. Nothing listens on a socket.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from authsvc.app import build_services, create_app
from authsvc.clock import ManualClock
from authsvc.config import Settings
from authsvc.deps import Services
from authsvc.store.db import Database, make_engine
from authsvc.store.migrate import upgrade
from authsvc.store.repository import Repository
from tests.unit._helpers import SIGNING_KEY, Api, make_client


@pytest.fixture
def anyio_backend() -> str:
    """Run async tests on asyncio (what uvicorn uses)."""
    return "asyncio"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AUTHSVC_* or multiprocess variable from the outer environment leaks into a test."""
    for name in list(os.environ):
        if name.startswith("AUTHSVC_") or name.upper() == "PROMETHEUS_MULTIPROC_DIR":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database migrated to head, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(tmp_path: Path, migrated_template: Path) -> str:
    """A fresh, migrated SQLite database for this test."""
    target = tmp_path / "authsvc.db"
    shutil.copy(migrated_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def make_settings(database_url: str) -> Callable[..., Settings]:
    """Build settings for tests: fast hashing, a fixed key, this test's database."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "signing_keys": [SIGNING_KEY],
            "argon2_memory_cost": 256,
            "argon2_time_cost": 1,
            "hash_workers": 2,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """The default test settings."""
    return make_settings()


@pytest.fixture
def clock() -> ManualClock:
    """A clock that only moves when a test says so."""
    return ManualClock(datetime(2030, 1, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def services(settings: Settings, clock: ManualClock) -> Iterator[Services]:
    """The service graph over the test database."""
    built = build_services(settings, clock)
    yield built
    built.offload.shutdown()
    built.repo.db.dispose()


@pytest.fixture
def app(settings: Settings, clock: ManualClock) -> FastAPI:
    """The app under test."""
    return create_app(settings, clock=clock)


@pytest.fixture
def repo(database_url: str) -> Iterator[Repository]:
    """Direct access to the test database, outside the app."""
    db = Database(make_engine(database_url))
    yield Repository(db)
    db.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for ``app``, with the app's lifespan running."""
    async with app.router.lifespan_context(app), make_client(app) as http:
        yield http


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    """The test API helper bound to ``client``."""
    return Api(client)
