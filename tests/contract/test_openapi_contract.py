"""Contract tests: authsvc against its own OpenAPI document, with Schemathesis.

``test_every_operation`` runs every operation (one subtest each) with positive and
negative generation through the examples, coverage and fuzzing phases, and validates each
response with all built-in checks plus the auth checks of ``_checks.py``.
``test_auth_flow_is_stateful`` follows the OpenAPI links the service declares (register ->
login -> me / refresh -> logout / change password) with real data, under the same checks.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import settings
from schemathesis import Case
from schemathesis.core.result import Ok
from schemathesis.schemas import BaseSchema

from tests.contract._target import ContractTarget, declares_security
from tests.property._budget import examples

authenticated = schemathesis.pytest.from_fixture("api_schema")
# The filter goes on the lazy schema: from_fixture applies its own filters, not the
# fixture schema's.
anonymous = schemathesis.pytest.from_fixture("anonymous_api_schema").include(declares_security)

#: Every operation the service must document, by operationId.
OPERATIONS = {
    "register",
    "login",
    "refresh",
    "logout",
    "me",
    "change_password",
    "healthz",
    "readyz",
    "metrics",
}


@authenticated.parametrize()
def test_every_operation(case: Case[Any]) -> None:
    """Every generated request gets a response that passes every check."""
    case.call_and_validate()


@anonymous.parametrize()
def test_protected_operations_without_valid_credentials(case: Case[Any]) -> None:
    """No token, or a made-up one: never a success, and the refusal passes every check
    (401 with a Bearer challenge, problem+json, the token not echoed)."""
    response = case.call_and_validate()
    # A body that is not even JSON may be refused before the token is looked at, and
    # the coverage phase also probes methods the path does not allow (405).
    assert response.status_code in {400, 401, 405, 413, 415, 422}, response.status_code


def _operation_ids(schema: BaseSchema) -> set[str]:
    ids = set()
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        ids.add(result.ok().definition.raw.get("operationId"))
    return ids


def test_the_document_covers_every_operation(api_schema: BaseSchema) -> None:
    """No operation is missing from the document, so none escapes the fuzzing."""
    assert _operation_ids(api_schema) == OPERATIONS


#: The links the served document must declare: ``(path, method, status) -> operation ids``.
AUTH_FLOW = {
    ("/v1/users", "post", "201"): {"login"},
    ("/v1/sessions", "post", "200"): {"me", "refresh", "logout", "change_password"},
    ("/v1/sessions/refresh", "post", "200"): {"me", "refresh", "logout"},
}


def _served_links(schema: BaseSchema) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every response's links in the document as loaded (served, not patched)."""
    found = {}
    for path, item in schema.raw_schema["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict):  # path-level "parameters", for instance
                continue
            for status, response in operation.get("responses", {}).items():
                if response.get("links"):
                    found[(path, method, status)] = response["links"]
    return found


def test_the_document_declares_the_auth_flow_links(api_schema: BaseSchema) -> None:
    """The served document links register -> login -> me / refresh / logout / change
    password, and refresh onwards; each link names an operation the document has."""
    served = _served_links(api_schema)
    targets = {
        key: {link["operationId"] for link in links.values()} for key, links in served.items()
    }
    assert targets == AUTH_FLOW
    assert set().union(*targets.values()) <= _operation_ids(api_schema)


def test_auth_flow_is_stateful(contract_target: ContractTarget) -> None:
    """Scenarios follow the links with real accounts and tokens; every step is checked."""
    api_schema = contract_target.authenticated()
    transitions = api_schema.statistic.transitions
    declared = sum(len(links) for links in _served_links(api_schema).values())
    assert declared > 0
    assert transitions.total >= declared
    reset = contract_target.reset

    class AuthFlow(api_schema.as_state_machine()):  # type: ignore[misc]
        """The generated workflow, starting each scenario from an empty store."""

        def setup(self) -> None:
            if reset is not None:
                reset()

    AuthFlow.run(
        settings=settings(max_examples=examples(15), stateful_step_count=12, deadline=None)
    )
