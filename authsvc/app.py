"""The application factory. Nothing is built at import time.

``create_app(settings)`` wires settings → clock, store, hashing, tokens → services →
routes, and returns a FastAPI app whose state holds the lot, so any number of apps (tests,
the replay gate's baseline and candidate) can live in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import SecretStr

from authsvc import __version__
from authsvc.clock import Clock, OffsetFileClock, SystemClock
from authsvc.config import Settings, SigningKeyConfig, check_environment
from authsvc.deps import Services
from authsvc.errors import install_error_handlers
from authsvc.logs import configure_logging, log_event
from authsvc.metrics import Metrics
from authsvc.middleware import BodyLimitMiddleware, RequestContextMiddleware
from authsvc.routes import me, ops, sessions, users
from authsvc.schemas import Problem
from authsvc.security.hashing import Argon2Params, PasswordHasher
from authsvc.security.passwords import PasswordPolicy
from authsvc.security.tokens import SigningKey, TokenService
from authsvc.services.accounts import AccountService, Lockout
from authsvc.services.sessions import SessionService
from authsvc.services.throttle import ClientRateLimiter
from authsvc.store.db import Database, make_engine
from authsvc.store.repository import Repository
from authsvc.workers import Offload

__all__ = ["build_services", "create_app", "create_serving_app", "openapi_document"]

# How often stale failure streaks and long-dead sessions are deleted.
_PRUNE_INTERVAL_SECONDS = 600.0
# Expired sessions are kept this long (for audit) before being deleted.
_SESSION_GRACE = timedelta(days=7)


def build_services(settings: Settings, clock: Clock) -> Services:
    """Build the service graph for ``settings``. Connects to nothing yet."""
    metrics = Metrics()
    offload = Offload(settings.hash_workers)
    repo = Repository(Database(make_engine(settings.database_url)))
    hasher = PasswordHasher(
        Argon2Params(
            memory_cost=settings.argon2_memory_cost,
            time_cost=settings.argon2_time_cost,
            parallelism=settings.argon2_parallelism,
        )
    )
    if settings.uses_ephemeral_key:
        log_event(
            "ephemeral_signing_key",
            outcome="warning",
            reason="dev_mode",
            level=logging.WARNING,
            detail="no AUTHSVC_SIGNING_KEYS: tokens die with this process",
        )
    tokens = TokenService(
        [SigningKey(kid, secret) for kid, secret in settings.effective_signing_keys()],
        issuer=settings.issuer,
        audience=settings.audience,
        clock=clock,
        access_ttl=timedelta(seconds=settings.access_ttl_seconds),
        leeway=timedelta(seconds=settings.leeway_seconds),
    )
    limiter = ClientRateLimiter(settings.client_rate_limit, clock)
    accounts = AccountService(
        repo=repo,
        hasher=hasher,
        offload=offload,
        clock=clock,
        policy=PasswordPolicy(min_length=settings.password_min_length),
        lockout=Lockout(
            threshold=settings.lockout_threshold,
            window=timedelta(seconds=settings.lockout_window_seconds),
        ),
        limiter=limiter,
        metrics=metrics,
    )
    session_service = SessionService(
        accounts=accounts,
        repo=repo,
        tokens=tokens,
        offload=offload,
        clock=clock,
        metrics=metrics,
        session_lifetime=timedelta(seconds=settings.refresh_ttl_seconds),
    )
    return Services(
        settings=settings,
        repo=repo,
        accounts=accounts,
        sessions=session_service,
        metrics=metrics,
        offload=offload,
    )


async def _prune_forever(services: Services, clock: Clock) -> None:
    window = timedelta(seconds=services.settings.lockout_window_seconds)
    while True:
        await asyncio.sleep(_PRUNE_INTERVAL_SECONDS)
        try:
            deleted = await services.offload.db(
                services.repo.prune,
                clock.now(),
                throttle_window=window,
                session_grace=_SESSION_GRACE,
            )
        except Exception as exc:  # noqa: BLE001 (housekeeping must never stop the service)
            log_event("prune", outcome="error", reason=type(exc).__name__, level=logging.WARNING)
        else:
            log_event("prune", outcome="done", deleted=deleted)


def _lifespan(services: Services, clock: Clock) -> Callable[[FastAPI], Any]:
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        pruner = asyncio.create_task(_prune_forever(services, clock))
        try:
            yield
        finally:
            pruner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pruner
            services.offload.shutdown()
            services.repo.db.dispose()

    return lifespan


def _add_problem_schema(app: FastAPI) -> None:
    """Put the Problem schema in components: routes reference it from problem+json bodies."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(problem.pop("$defs", {}))
        components["Problem"] = problem
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented hook


def _operation_id(route: APIRoute) -> str:
    # The handler's name ("login", "change_password"): stable, readable operation ids.
    return route.name


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build the ASGI application.

    ``settings`` defaults to the environment (``AUTHSVC_*``); ``clock`` to the wall clock,
    or to the offset-file clock when ``AUTHSVC_CLOCK_OFFSET_FILE`` is set. The database
    must already be migrated (``authsvc migrate``; ``authsvc serve`` does it).
    """
    settings = settings if settings is not None else Settings()
    if clock is None:
        path = settings.clock_offset_file
        clock = OffsetFileClock(path) if path is not None else SystemClock()
    services = build_services(settings, clock)
    app = FastAPI(
        title="authsvc",
        version=__version__,
        summary="Reference login service: accounts, sessions, rotating refresh tokens.",
        # Interactive docs help a developer try the API; in production they would only be
        # more surface (and the pages load their scripts from a CDN), so dev mode only.
        docs_url="/docs" if settings.dev_mode else None,
        redoc_url="/redoc" if settings.dev_mode else None,
        openapi_url="/openapi.json",
        lifespan=_lifespan(services, clock),
        generate_unique_id_function=_operation_id,
    )
    app.state.services = services
    install_error_handlers(app)
    for module in (users, sessions, me, ops):
        app.include_router(module.router)
    # Added last = outermost: the context middleware sees (and stamps) every response,
    # including the body limiter's 413s.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        RequestContextMiddleware, metrics=services.metrics, server_timing=settings.server_timing
    )
    _add_problem_schema(app)
    return app


def create_serving_app() -> FastAPI:
    """The factory ``authsvc serve`` hands to uvicorn (in every worker): JSON logs first.

    It checks the environment too, for a deployment that runs uvicorn itself.
    """
    warnings = check_environment(os.environ)
    settings = Settings()
    configure_logging(settings.log_level)
    for warning in warnings:
        log_event("deprecated_setting", outcome="applied", reason=warning, level=logging.WARNING)
    return create_app(settings)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document, independent of the environment (for the committed snapshot)."""
    # A fixed placeholder key: the document does not depend on keys, and building the app
    # from the environment could fail (or warn) for reasons unrelated to the API.
    key = SigningKeyConfig.model_construct(kid="openapi", secret=SecretStr("o" * 32))
    settings = Settings.model_construct(signing_keys=[key], database_url="sqlite://")
    return create_app(settings, clock=SystemClock()).openapi()
