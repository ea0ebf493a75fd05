"""Request and response bodies.

Request models are strict (a JSON number is not a string) and forbid unknown fields,
so ``{"email": …, "password": …, "is_admin": true}`` is a 422, not a silently ignored
mass-assignment attempt. Lengths and formats are checked by the services, which return
stable reason codes; the models only pin the shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Credentials",
    "FieldProblem",
    "Health",
    "PasswordChange",
    "Problem",
    "RefreshRequest",
    "TokenPair",
    "UserOut",
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Credentials(_Request):
    """An e-mail and password, for registration and login."""

    email: str = Field(description="E-mail address; compared in canonical form.")
    password: str = Field(description="Password; NFKC-normalised, never trimmed.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "ada@example.com", "password": "a long passphrase"}]
        }
    )


class RefreshRequest(_Request):
    """A refresh token to exchange for a new token pair."""

    refresh_token: str


class PasswordChange(_Request):
    """The current password and the new one."""

    current_password: str
    new_password: str


class UserOut(BaseModel):
    """An account as shown to its owner."""

    id: str = Field(description="Stable opaque account id.")
    email: str = Field(description="The address as the user typed it at registration.")
    created_at: datetime


class TokenPair(BaseModel):
    """An access token and the refresh token that renews it."""

    access_token: str = Field(description="JWT for the Authorization: Bearer header.")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str = Field(description="Opaque, single-use; rotate with /v1/sessions/refresh.")


class FieldProblem(BaseModel):
    """One invalid field in a request; never carries the submitted value."""

    pointer: str = Field(description='JSON Pointer to the field, e.g. "#/password".')
    code: str = Field(description="Stable reason code.")
    detail: str


class Problem(BaseModel):
    """An RFC 9457 problem details object (``application/problem+json``)."""

    type: str = Field(description='A URI identifying the problem type; "about:blank" if generic.')
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldProblem] | None = None


class Health(BaseModel):
    """Liveness or readiness."""

    status: Literal["ok"] = "ok"
