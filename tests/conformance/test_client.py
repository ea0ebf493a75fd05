"""The suite's HTTP client: same-origin only, a request budget, token extraction."""

from __future__ import annotations

import httpx
import pytest

from quality_gates.conformance.client import (
    Connection,
    RequestBudgetExceededError,
    TargetClient,
    same_origin,
)
from quality_gates.conformance.evidence import EvidenceLog
from quality_gates.profile import load_profile
from tests.conformance._targets import PROFILES


def _client(budget: int = 5) -> TargetClient:
    profile = load_profile(PROFILES / "authsvc.toml")
    return TargetClient(Connection(profile, "http://127.0.0.1:9", budget=budget), EvidenceLog())


def test_same_origin() -> None:
    assert same_origin("http://127.0.0.1:8000", "http://127.0.0.1:8000/v1/me")
    assert not same_origin("http://127.0.0.1:8000", "http://127.0.0.1:8001/v1/me")
    assert not same_origin("http://127.0.0.1:8000", "https://evil.example/")


def test_refuses_other_origins() -> None:
    with pytest.raises(ValueError, match="off the target's origin"):
        _client().send("GET", "https://evil.example/")


def test_budget_stops_a_runaway_test() -> None:
    client = _client(budget=0)
    with pytest.raises(RequestBudgetExceededError):
        client.send("GET", "/")


def test_tokens_from_a_json_body_are_remembered_as_secrets() -> None:
    client = _client()
    response = httpx.Response(
        200, json={"access_token": "acc-123456", "refresh_token": "ref-123456"}
    )
    pair = client.tokens(response)
    assert (pair.access, pair.refresh) == ("acc-123456", "ref-123456")
    assert "acc-123456" not in client.log.masker.mask("acc-123456")


def test_body_maps_framework_names_and_drops_unmapped_fields() -> None:
    profile = load_profile(PROFILES / "fastapi-users.toml")
    client = TargetClient(Connection(profile, "http://127.0.0.1:9"), EvidenceLog())
    assert client.body("login", {"email": "a@b.c", "password": "x"}) == {
        "username": "a@b.c",
        "password": "x",
    }
    assert client.body("change_password", {"current_password": "a", "new_password": "b"}) == {
        "password": "b"
    }
