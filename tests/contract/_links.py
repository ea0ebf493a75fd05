"""OpenAPI links for the authentication flow: register -> login -> me / refresh -> logout.

Schemathesis' stateful phase follows links to chain operations with real data (the
account a registration created, the tokens a login returned). These are the link objects
the service's OpenAPI document should declare; until it does, :func:`add_missing_links`
adds them to the loaded document (from a ``before_load_schema`` hook), and leaves any
response that already declares links alone.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AUTH_FLOW_LINKS", "add_missing_links"]

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

#: ``(path, method, status) -> {link name: link object}``, as they go under
#: ``paths[path][method].responses[status].links``.
AUTH_FLOW_LINKS: dict[tuple[str, str, str], dict[str, Any]] = {
    ("/v1/users", "post", "201"): {
        "LogIn": {
            "operationId": "login",
            "requestBody": {"email": "$request.body#/email", "password": "$request.body#/password"},
        },
    },
    ("/v1/sessions", "post", "200"): {
        **_AFTER_TOKENS,
        "ChangePassword": {
            "operationId": "change_password",
            "parameters": {"header.Authorization": _BEARER_FROM_RESPONSE},
            # The login's own password is the current one; the new one is generated.
            "requestBody": {"current_password": "$request.body#/password"},
        },
    },
    ("/v1/sessions/refresh", "post", "200"): {
        **_AFTER_TOKENS,
        # Presenting the token just spent: the reuse that must revoke the family.
        "ReplaySpentRefreshToken": {
            "operationId": "refresh",
            "requestBody": {"refresh_token": "$request.body#/refresh_token"},
        },
    },
}


def add_missing_links(raw_schema: dict[str, Any]) -> list[str]:
    """Add :data:`AUTH_FLOW_LINKS` where the document declares none; return what was added.

    A document that is not this service's (no ``/v1/sessions``) is left untouched.
    """
    paths = raw_schema.get("paths", {})
    if "/v1/sessions" not in paths:
        return []
    added = []
    for (path, method, status), links in AUTH_FLOW_LINKS.items():
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None or response.get("links"):
            continue
        response["links"] = links
        added.append(f"{method.upper()} {path} {status}")
    return added
