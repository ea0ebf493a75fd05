"""Request models: strict and closed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from authsvc.schemas import Credentials, PasswordChange, RefreshRequest, TokenPair, UserOut


def test_unknown_fields_are_forbidden() -> None:
    """Mass assignment is a validation error."""
    with pytest.raises(ValidationError, match="extra"):
        Credentials.model_validate({"email": "a@b.co", "password": "x", "admin": True})


@pytest.mark.parametrize("value", [1, 1.5, True, None, ["x"], {"x": 1}])
def test_types_are_strict(value: object) -> None:
    """Nothing is coerced into a string."""
    with pytest.raises(ValidationError):
        Credentials.model_validate({"email": "a@b.co", "password": value})
    with pytest.raises(ValidationError):
        RefreshRequest.model_validate({"refresh_token": value})
    with pytest.raises(ValidationError):
        PasswordChange.model_validate({"current_password": value, "new_password": "x"})


def test_responses_serialise() -> None:
    """token_type is always bearer; datetimes are ISO 8601 in UTC."""
    pair = TokenPair(access_token="a", expires_in=900, refresh_token="r")  # noqa: S106
    assert pair.model_dump()["token_type"] == "bearer"
    user = UserOut(id="1", email="A@b.co", created_at=datetime(2030, 1, 1, tzinfo=UTC))
    assert (
        user.model_dump_json() == '{"id":"1","email":"A@b.co","created_at":"2030-01-01T00:00:00Z"}'
    )
