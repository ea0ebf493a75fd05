"""Contract tests: authsvc against its own OpenAPI document, with Schemathesis.

``test_every_operation`` runs every operation (one subtest each) with positive and
negative generation through the examples, coverage and fuzzing phases, and validates each
response with all built-in checks plus the auth checks of ``_checks.py``.
``test_auth_flow_is_stateful`` follows the OpenAPI links (register -> login -> me /
refresh -> logout / change password) with real data, under the same checks.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import settings
from schemathesis import Case
from schemathesis.core.result import Ok
from schemathesis.schemas import BaseSchema

from tests.contract._links import AUTH_FLOW_LINKS
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


def test_the_document_covers_every_operation(api_schema: BaseSchema) -> None:
    """No operation is missing from the document, so none escapes the fuzzing."""
    ids = set()
    for result in api_schema.get_all_operations():
        assert isinstance(result, Ok), result
        ids.add(result.ok().definition.raw.get("operationId"))
    assert ids == OPERATIONS


def test_auth_flow_is_stateful(contract_target: ContractTarget) -> None:
    """Scenarios follow the links with real accounts and tokens; every step is checked."""
    api_schema = contract_target.authenticated()
    transitions = api_schema.statistic.transitions
    assert transitions.total >= sum(len(links) for links in AUTH_FLOW_LINKS.values())
    reset = contract_target.reset

    class AuthFlow(api_schema.as_state_machine()):  # type: ignore[misc]
        """The generated workflow, starting each scenario from an empty store."""

        def setup(self) -> None:
            if reset is not None:
                reset()

    AuthFlow.run(
        settings=settings(max_examples=examples(15), stateful_step_count=12, deadline=None)
    )
