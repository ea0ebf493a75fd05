"""``/v1/users``: registration.

Each route is a thin decorated shell over an undecorated function of the same name with a
leading underscore, where mutmut 3 can reach the logic (docs/mutation.md, "Route handlers").
"""

from __future__ import annotations

from fastapi import APIRouter, status

from authsvc.deps import Accounts
from authsvc.routes.base import JsonRoute, problem_responses, user_out
from authsvc.routes.links import AFTER_REGISTER, links
from authsvc.schemas import Credentials, UserOut

__all__ = ["router"]

router = APIRouter(route_class=JsonRoute, tags=["users"])


@router.post(
    "/v1/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    summary="Register an account",
    responses={
        **links(status.HTTP_201_CREATED, AFTER_REGISTER),
        **problem_responses(400, 409, 413, 415, 422, 503),
    },
)
async def register(body: Credentials, accounts: Accounts) -> UserOut:
    """Create an account. The e-mail is unique in canonical form (trimmed, NFKC,
    case-folded); the password must pass the policy (length in code points, not a common
    password, not containing the e-mail)."""
    return await _register(body, accounts)


async def _register(body: Credentials, accounts: Accounts) -> UserOut:
    user = await accounts.register(body.email, body.password)
    return user_out(user)
