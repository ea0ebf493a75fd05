"""FastAPI dependencies, as ``Annotated`` aliases the routes declare their parameters with.

Everything comes from the :class:`Services` container that :func:`authsvc.app.create_app`
puts on ``app.state``: no module-level globals, so several apps can live in one process.

Every dependency is ``async def`` although none of them awaits anything: FastAPI runs a
plain ``def`` dependency in a worker thread, which for a lookup like these costs two
thread switches per request (more than the lookup itself), on the login path too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from authsvc.config import Settings
from authsvc.domain.records import Principal
from authsvc.metrics import Metrics
from authsvc.services.accounts import AccountService
from authsvc.services.sessions import SessionService
from authsvc.services.throttle import client_address
from authsvc.store.repository import Repository
from authsvc.workers import Offload

__all__ = [
    "Accounts",
    "Client",
    "CurrentPrincipal",
    "Ops",
    "Services",
    "Sessions",
]


@dataclass(frozen=True)
class Services:
    """Everything a request handler may need, built once per app."""

    settings: Settings
    repo: Repository
    accounts: AccountService
    sessions: SessionService
    metrics: Metrics
    offload: Offload


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_services(request: Request) -> Services:
    """The app's service container."""
    return _services(request)


async def get_accounts(request: Request) -> AccountService:
    """The account service."""
    return _services(request).accounts


async def get_sessions(request: Request) -> SessionService:
    """The session service."""
    return _services(request).sessions


async def get_client(request: Request) -> str:
    """The client address used for rate limiting (X-Forwarded-For only from trusted proxies)."""
    peer = request.client.host if request.client else None
    trusted = _services(request).settings.trusted_proxies
    return client_address(peer, request.headers.getlist("x-forwarded-for"), trusted)


_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="JWT",
    description="An access token from POST /v1/sessions or /v1/sessions/refresh.",
)


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The live session and user behind the request's bearer token (401 otherwise)."""
    token = credentials.credentials if credentials is not None else None
    return await _services(request).sessions.authenticate(token)


Ops = Annotated[Services, Depends(get_services)]
Accounts = Annotated[AccountService, Depends(get_accounts)]
Sessions = Annotated[SessionService, Depends(get_sessions)]
Client = Annotated[str, Depends(get_client)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
