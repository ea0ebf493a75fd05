"""``/v1/me``: the authenticated account.

Each route is a thin decorated shell over an undecorated function of the same name with a
leading underscore, where mutmut 3 can reach the logic (docs/mutation.md, "Route handlers").
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from authsvc.deps import Accounts, Client, CurrentPrincipal
from authsvc.routes.base import JsonRoute, problem_responses, user_out
from authsvc.schemas import PasswordChange, UserOut

__all__ = ["router"]

router = APIRouter(route_class=JsonRoute, tags=["me"])


@router.get(
    "/v1/me",
    response_model=UserOut,
    summary="The current account",
    responses=problem_responses(401, 503),
)
async def me(principal: CurrentPrincipal) -> UserOut:
    """Return the account the access token belongs to."""
    return await _me(principal)


@router.post(
    "/v1/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Change the password",
    responses=problem_responses(400, 401, 403, 413, 415, 422, 429, 503),
)
async def change_password(
    body: PasswordChange, principal: CurrentPrincipal, accounts: Accounts, client: Client
) -> Response:
    """Replace the password. Every session of the account is revoked, this one included."""
    return await _change_password(body, principal, accounts, client)


async def _me(principal: CurrentPrincipal) -> UserOut:
    return user_out(principal.user)


async def _change_password(
    body: PasswordChange, principal: CurrentPrincipal, accounts: Accounts, client: Client
) -> Response:
    await accounts.change_password(
        principal, body.current_password, body.new_password, client=client
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
