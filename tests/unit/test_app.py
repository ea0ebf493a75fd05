"""The application factory and the committed OpenAPI snapshot."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute

import authsvc.app
from authsvc.app import create_app, create_serving_app, openapi_document
from authsvc.clock import OffsetFileClock, SystemClock
from authsvc.config import Settings
from authsvc.routes import me, ops, sessions, users
from tests.unit._helpers import make_client, services_of

SNAPSHOT = Path(authsvc.app.__file__).parent / "openapi.json"


def test_openapi_snapshot_matches_the_code() -> None:
    """authsvc/openapi.json is what the code generates; regenerate with
    `authsvc openapi --output authsvc/openapi.json` after an intended API change."""
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert committed == openapi_document(), "OpenAPI snapshot drifted from the code"


def test_openapi_document_shape() -> None:
    """3.1, named operations, problem+json errors with a shared Problem schema."""
    document = openapi_document()
    assert document["openapi"] == "3.1.0"
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert {"register", "login", "refresh", "logout", "me", "change_password"} <= operations
    login = document["paths"]["/v1/sessions"]["post"]
    assert login["responses"]["401"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert document["components"]["schemas"]["Credentials"]["additionalProperties"] is False


def test_the_document_links_the_auth_flow() -> None:
    """Responses that hand out an account or tokens link to what they allow next, by
    operation ids the document has (a renamed handler would break them)."""
    document = openapi_document()
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    targets = {
        (path, method, status): {link["operationId"] for link in response["links"].values()}
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for status, response in operation["responses"].items()
        if "links" in response
    }
    assert targets == {
        ("/v1/users", "post", "201"): {"login"},
        ("/v1/sessions", "post", "200"): {"me", "refresh", "logout", "change_password"},
        ("/v1/sessions/refresh", "post", "200"): {"me", "refresh", "logout"},
    }
    assert set().union(*targets.values()) <= operations
    login = document["paths"]["/v1/sessions"]["post"]["responses"]["200"]
    # Still the response FastAPI documents from the model, with the links added to it.
    assert login["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TokenPair"
    }


def test_every_dependency_is_a_coroutine() -> None:
    """FastAPI runs a plain ``def`` dependency in a worker thread: two thread switches per
    request for a lookup. Every dependency of every route is ``async def`` instead."""
    routes = [
        route
        for module in (users, sessions, me, ops)
        for route in module.router.routes
        if isinstance(route, APIRoute)
    ]
    assert len(routes) == 9
    seen = set()
    pending = [route.dependant for route in routes]
    while pending:
        dependant = pending.pop()
        pending.extend(dependant.dependencies)
        if dependant.call is None or dependant.call in seen:
            continue
        seen.add(dependant.call)
        call = dependant.call
        is_async = inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(
            getattr(call, "__call__", None)  # noqa: B004 (instances such as HTTPBearer)
        )
        assert is_async, call
    assert len(seen) > 4


def test_openapi_document_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Broken settings in the environment do not change or break the document."""
    monkeypatch.setenv("AUTHSVC_SIGNING_KEYS", "not json")
    monkeypatch.setenv("AUTHSVC_ACCESS_TTL_SECONDS", "-1")
    assert openapi_document() == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_create_app_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """Without arguments the factory builds settings from AUTHSVC_* variables."""
    monkeypatch.setenv("AUTHSVC_DEV_MODE", "true")
    monkeypatch.setenv("AUTHSVC_DATABASE_URL", database_url)
    monkeypatch.setenv("AUTHSVC_LOCKOUT_THRESHOLD", "7")
    app = create_app()
    services = services_of(app)
    assert services.settings.lockout_threshold == 7
    assert services.settings.uses_ephemeral_key


def test_clock_choice(make_settings: object, tmp_path: Path) -> None:
    """Wall clock by default; the offset-file clock when the hook is configured."""
    assert callable(make_settings)
    plain = create_app(make_settings())
    assert isinstance(services_of(plain).sessions._clock, SystemClock)
    hooked = create_app(make_settings(clock_offset_file=tmp_path / "offset"))
    assert isinstance(services_of(hooked).sessions._clock, OffsetFileClock)


def test_module_import_builds_nothing() -> None:
    """Importing the package creates no app, settings or engine."""
    assert not any(isinstance(value, Settings) for value in vars(authsvc.app).values())


@pytest.mark.anyio
async def test_lifespan_prunes_and_shuts_down(
    make_settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The housekeeping task runs while the app lives and stops with it."""
    monkeypatch.setattr(authsvc.app, "_PRUNE_INTERVAL_SECONDS", 0.01)
    caplog.set_level(logging.INFO, logger="authsvc")
    app = create_app(make_settings())
    async with app.router.lifespan_context(app):
        for _ in range(200):
            if any(r.getMessage() == "prune" for r in caplog.records):
                break
            await asyncio.sleep(0.01)
    assert any(r.getMessage() == "prune" for r in caplog.records)
    with pytest.raises(RuntimeError):
        await services_of(app).offload.hash(lambda: None)


@pytest.mark.anyio
async def test_prune_errors_do_not_stop_the_service(
    make_settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing prune is logged and retried later."""
    monkeypatch.setattr(authsvc.app, "_PRUNE_INTERVAL_SECONDS", 0.01)
    caplog.set_level(logging.INFO, logger="authsvc")
    app = create_app(make_settings())

    def broken(*_args: Any, **_kwargs: Any) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services_of(app).repo, "prune", broken)
    async with app.router.lifespan_context(app):
        for _ in range(200):
            errors = [r for r in caplog.records if r.getMessage() == "prune"]
            if len(errors) >= 2:
                break
            await asyncio.sleep(0.01)
    assert len(errors) >= 2


def test_create_serving_app_configures_logging(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """The uvicorn factory installs JSON logging, then builds the app from the environment."""
    monkeypatch.setenv("AUTHSVC_DEV_MODE", "true")
    monkeypatch.setenv("AUTHSVC_DATABASE_URL", database_url)
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    try:
        app = create_serving_app()
        assert any(getattr(h, "_authsvc_handler", False) for h in root.handlers)
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
        root.setLevel(level)
    assert services_of(app).settings.dev_mode


@pytest.mark.anyio
@pytest.mark.parametrize("dev_mode", [True, False])
async def test_interactive_docs_only_in_development_mode(
    make_settings: Callable[..., Settings], dev_mode: bool
) -> None:
    """/docs (Swagger UI) and /redoc are served in development mode, 404 otherwise."""
    app = create_app(make_settings(dev_mode=dev_mode), clock=SystemClock())
    async with make_client(app) as client:
        for path, marker in (("/docs", "swagger-ui"), ("/redoc", "redoc")):
            response = await client.get(path)
            if dev_mode:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/html")
                assert marker in response.text
                assert "/openapi.json" in response.text
            else:
                assert response.status_code == 404
