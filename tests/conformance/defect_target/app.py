"""The zoo target's ASGI application: routes, error answers and security headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from tests.conformance.defect_target.accounts import me, register
from tests.conformance.defect_target.refresh import logout, refresh
from tests.conformance.defect_target.sessions import login
from tests.conformance.defect_target.web import BadRequestError, SecurityHeaders, Settings

Handler = Callable[[Request, Settings], Awaitable[Response]]


def _bind(handler: Handler, settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request, settings)
        except BadRequestError as exc:
            return exc.response

    return endpoint


async def _ready(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings) -> ASGIApp:
    """The service with ``settings.defects`` switched on."""
    routes = [
        Route("/readyz", _ready, methods=["GET"]),
        Route("/users", _bind(register, settings), methods=["POST"]),
        Route("/me", _bind(me, settings), methods=["GET"]),
        Route("/sessions", _bind(login, settings), methods=["POST"]),
        Route("/sessions/refresh", _bind(refresh, settings), methods=["POST"]),
        Route("/sessions/logout", _bind(logout, settings), methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    return SecurityHeaders(app, no_store=not settings.on("no-store"))
