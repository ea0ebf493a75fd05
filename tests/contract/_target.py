"""The contract target: schema loading, configuration, auth, and store reset.

Kept out of ``conftest.py`` so tests can import :class:`ContractTarget`, and so the
Schemathesis hook and checks are registered exactly once, on first import.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import settings
from schemathesis import AuthContext, Case, HookContext
from schemathesis.schemas import BaseSchema

import tests.contract._checks  # noqa: F401 (importing it registers the auth checks)
from authsvc.store.models import metadata
from tests.property._budget import examples

CONTRACT_URL_ENV = "QG_CONTRACT_URL"


# Documents loaded from a live server, whose store the suite cannot empty.
_LIVE_LOCATIONS: set[str] = set()


@schemathesis.hook
def before_call(context: HookContext, case: Case[Any], kwargs: dict[str, Any]) -> None:
    """Against a live server only: make every registered address unique.

    Its store keeps accounts between scenarios, so a scenario Hypothesis replays would
    meet "409 already registered" where it first saw 201, lose the register -> login
    link, and fail as a flaky strategy. In-process, the store is emptied instead.
    """
    location = case.operation.schema.location
    body = case.body
    if (
        location in _LIVE_LOCATIONS
        and case.operation.label == "POST /v1/users"
        and isinstance(body, dict)
        and isinstance(body.get("email"), str)
    ):
        case.body = {**body, "email": f"{uuid.uuid4().hex[:12]}.{body['email']}"}


def live_loader(url: str) -> Callable[[schemathesis.Config], BaseSchema]:
    """Load the document of the server at ``url``, with requests sent to it."""
    location = f"{url}/openapi.json"
    _LIVE_LOCATIONS.add(location)

    def load(config: schemathesis.Config) -> BaseSchema:
        schema: BaseSchema = schemathesis.openapi.from_url(location, config=config)
        schema.config.update(base_url=url)
        return schema

    return load


def asgi_loader(app: FastAPI) -> Callable[[schemathesis.Config], BaseSchema]:
    """Load the document the in-process ``app`` serves, with requests sent to it."""

    def load(config: schemathesis.Config) -> BaseSchema:
        return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)

    return load


# Registration and password change apply rules JSON Schema cannot state (the common
# password blocklist, "must not contain the e-mail", canonical e-mail validity), so a
# schema-valid body may be refused with the documented 422. Everywhere else, 422 for a
# schema-valid request stays a contract failure.
_RULE_CHECKED_OPERATIONS = ["register", "change_password"]
_POSITIVE_OK = ["2xx", "401", "403", "409", "422", "429"]


def contract_config(*, generated_credentials: bool = False) -> schemathesis.Config:
    """Positive and negative generation; derandomised when the Hypothesis profile is.

    Written as the ``schemathesis.toml`` it would be, through ``Config.from_dict``.
    ``generated_credentials`` lets Schemathesis make up (or leave out) the bearer token,
    which is how the protected operations are tested without valid credentials.
    """
    return schemathesis.Config.from_dict(
        {
            "generation": {
                "mode": "all",  # positive and negative
                "max-examples": examples(20),
                "deterministic": bool(settings().derandomize),
                # Otherwise credentials come from the auth provider (or a link):
                # made-up tokens would hide every protected operation behind a 401.
                "with-security-parameters": generated_credentials,
            },
            "phases": {"stateful": {"max-steps": 12}},
            "operations": [
                {
                    "include-operation-id": _RULE_CHECKED_OPERATIONS,
                    "checks": {"positive_data_acceptance": {"expected-statuses": _POSITIVE_OK}},
                }
            ],
        }
    )


def register_login_auth(schema: BaseSchema) -> None:
    """Register a provider that signs up a fresh account, logs in and sends its token.

    A fresh account per case keeps fuzzing from locking or logging out the account it
    authenticates with (wrong ``current_password`` values count toward the lock, a
    logout revokes the token), and it works against a live server whose accounts the
    suite does not control.
    """

    class FreshAccountLogin:
        """Registers and logs in through the API; ``set`` sends ``Authorization: Bearer``."""

        def get(self, case: Case[Any], context: AuthContext) -> str:
            operations = case.operation.schema
            credentials = {
                "email": f"contract-{uuid.uuid4().hex}@example.org",
                "password": f"contract suite {uuid.uuid4().hex}",
            }
            registered = operations["/v1/users"]["POST"].Case(
                body=credentials, media_type="application/json"
            )
            response = registered.call()
            if response.status_code != 201:
                raise RuntimeError(f"registration for the auth provider: {response.status_code}")
            # Log in with what was sent: a before_call hook may have rewritten the address.
            login = operations["/v1/sessions"]["POST"].Case(
                body=dict(registered.body), media_type="application/json"
            )
            response = login.call()
            if response.status_code != 200:
                raise RuntimeError(f"login for the auth provider: {response.status_code}")
            token = response.json()["access_token"]
            assert isinstance(token, str)
            return token

        def set(self, case: Case[Any], data: str, context: AuthContext) -> None:
            # A link (login -> me, ...) may already carry the token of the account the
            # scenario created; that one is the point of the scenario, so it stays.
            if "Authorization" not in case.headers:
                case.headers["Authorization"] = f"Bearer {data}"

    # No caching: every case gets its own account and token, so a logout, a password
    # change or a lock caused by one case never leaks into the next.
    # Only operations that declare a security requirement get a token; registration
    # and login are tested without one, as clients call them.
    schema.auth(refresh_interval=None).apply_to(declares_security)(FreshAccountLogin)


def declares_security(context: Any) -> bool:
    """Whether the operation in ``context`` declares a security requirement."""
    return bool(context.operation.definition.raw.get("security"))


@dataclass(frozen=True)
class ContractTarget:
    """Where the contract runs: how to load its schema and, in-process, empty its store."""

    load: Callable[[schemathesis.Config], BaseSchema]
    reset: Callable[[], None] | None

    def authenticated(self) -> BaseSchema:
        """Every operation; protected ones get a token from the login auth provider."""
        schema = self.load(contract_config())
        register_login_auth(schema)
        return schema

    def anonymous(self) -> BaseSchema:
        """Made-up or missing bearer tokens (filter to the protected operations)."""
        return self.load(contract_config(generated_credentials=True))


def emptier(app: FastAPI) -> Callable[[], None]:
    """A function that deletes every row of the in-process app's store."""

    def reset() -> None:
        # Grey-box, in-process only: a scenario starts from an empty store, so a
        # replayed scenario meets the same state (Hypothesis requires that).
        with app.state.services.repo.db.write() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())

    return reset
