"""OpenAPI links of the authentication flow, declared in the served document.

register -> login -> me / refresh / logout / change password, refresh -> the same, and the
replay of a spent refresh token (which must revoke the session). A client generator, or a
stateful tester such as Schemathesis, follows them to chain operations with real data: the
account a registration created, the tokens a login returned.

Each constant goes under ``responses[status]["links"]`` of its route (see
:func:`links`); operation ids are the handlers' names (``authsvc.app._operation_id``).
Parameter names are qualified by location (``header.Authorization``) and request bodies
are objects of runtime expressions, as Schemathesis reads them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AFTER_LOGIN", "AFTER_REFRESH", "AFTER_REGISTER", "links"]

_BEARER_FROM_RESPONSE = "Bearer {$response.body#/access_token}"

_AFTER_TOKENS: dict[str, Any] = {
    "GetCurrentUser": {
        "operationId": "me",
        "parameters": {"header.Authorization": _BEARER_FROM_RESPONSE},
    },
    "RotateRefreshToken": {
        "operationId": "refresh",
        "requestBody": {"refresh_token": "$response.body#/refresh_token"},
    },
    "LogOut": {
        "operationId": "logout",
        "parameters": {"header.Authorization": _BEARER_FROM_RESPONSE},
    },
}

#: From a registration (201) to logging in with what was registered.
AFTER_REGISTER: dict[str, Any] = {
    "LogIn": {
        "operationId": "login",
        "requestBody": {"email": "$request.body#/email", "password": "$request.body#/password"},
    },
}

#: From a login (200) to what its tokens allow.
AFTER_LOGIN: dict[str, Any] = {
    **_AFTER_TOKENS,
    "ChangePassword": {
        "operationId": "change_password",
        "parameters": {"header.Authorization": _BEARER_FROM_RESPONSE},
        # The login's own password is the current one; the new one is the client's.
        "requestBody": {"current_password": "$request.body#/password"},
    },
}

#: From a refresh (200) to what the new pair allows, and to replaying the spent token.
AFTER_REFRESH: dict[str, Any] = {
    **_AFTER_TOKENS,
    "ReplaySpentRefreshToken": {
        "operationId": "refresh",
        "requestBody": {"refresh_token": "$request.body#/refresh_token"},
    },
}


def links(status: int, declared: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """A ``responses`` entry that adds ``declared`` links to the ``status`` response.

    FastAPI merges it into the response it documents from ``response_model``.
    """
    return {status: {"links": declared}}
