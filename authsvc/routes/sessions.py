"""``/v1/sessions``: login, refresh, logout.

Each route is a thin decorated shell over an undecorated function of the same name with a
leading underscore (``login`` -> ``_login``): mutmut 3 does not mutate decorated functions,
so the logic lives where it can be mutated (docs/mutation.md, "Route handlers").
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from authsvc.deps import Client, CurrentPrincipal, Sessions
from authsvc.routes.base import JsonRoute, problem_responses
from authsvc.routes.links import AFTER_LOGIN, AFTER_REFRESH, links
from authsvc.schemas import Credentials, RefreshRequest, TokenPair
from authsvc.services.sessions import IssuedTokens

__all__ = ["router"]

router = APIRouter(route_class=JsonRoute, tags=["sessions"])


def _pair(tokens: IssuedTokens) -> TokenPair:
    return TokenPair(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
    )


@router.post(
    "/v1/sessions",
    response_model=TokenPair,
    summary="Log in",
    responses={
        **links(status.HTTP_200_OK, AFTER_LOGIN),
        **problem_responses(400, 401, 413, 415, 422, 429, 503),
    },
)
async def login(body: Credentials, sessions: Sessions, client: Client) -> TokenPair:
    """Exchange an e-mail and password for an access token and a refresh token.

    Every refusal (unknown account, wrong password, locked or disabled account) is the
    same 401 response.
    """
    return await _login(body, sessions, client)


@router.post(
    "/v1/sessions/refresh",
    response_model=TokenPair,
    summary="Rotate a refresh token",
    responses={
        **links(status.HTTP_200_OK, AFTER_REFRESH),
        **problem_responses(400, 401, 413, 415, 422, 503),
    },
)
async def refresh(body: RefreshRequest, sessions: Sessions) -> TokenPair:
    """Exchange a refresh token for a new pair. Each refresh token works once; presenting
    a used one again revokes the whole session."""
    return await _refresh(body, sessions)


@router.delete(
    "/v1/sessions/current",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Log out",
    responses=problem_responses(401, 503),
)
async def logout(principal: CurrentPrincipal, sessions: Sessions) -> Response:
    """Revoke the session of the presented access token, with all its tokens."""
    return await _logout(principal, sessions)


async def _login(body: Credentials, sessions: Sessions, client: Client) -> TokenPair:
    return _pair(await sessions.login(body.email, body.password, client=client))


async def _refresh(body: RefreshRequest, sessions: Sessions) -> TokenPair:
    return _pair(await sessions.refresh(body.refresh_token))


async def _logout(principal: CurrentPrincipal, sessions: Sessions) -> Response:
    await sessions.logout(principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
