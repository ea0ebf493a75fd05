"""The OpenAPI rule engine, one rule at a time (the gate tests cover the wiring)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from quality_gates.errors import InputError
from quality_gates.openapi.document import load_document
from quality_gates.openapi.rules import compare
from tests.gates._scenarios import spec

Doc = dict[str, Any]
TOKENS = ("access_token", "refresh_token")


def _schemas(doc: Doc) -> Doc:
    return doc["components"]["schemas"]  # type: ignore[no-any-return]


def _login_op(doc: Doc) -> Doc:
    return doc["paths"]["/v1/sessions"]["post"]  # type: ignore[no-any-return]


def _set(path: list[str | int], value: Any) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        node: Any = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


def _delete(path: list[str]) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        node = doc
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return mutate


LOGIN = ["components", "schemas", "Login", "properties"]
TOKEN = ["components", "schemas", "Token", "properties"]
BEARER = ["components", "securitySchemes", "bearer"]

CASES: list[tuple[str, Callable[[Doc], None], str, str, bool]] = [
    (
        "password maxLength set",
        _delete([*LOGIN, "password", "maxLength"]),
        "request-property-max-length-unset",
        "INFO",
        False,
    ),
    (
        "email maxLength raised",
        _set([*LOGIN, "email", "maxLength"], 400),
        "request-property-max-length-increased",
        "INFO",
        False,
    ),
    (
        "email minLength set",
        _set([*LOGIN, "email", "minLength"], 5),
        "request-property-min-length-set",
        "ERR",
        False,
    ),
    (
        "email pattern added",
        _set([*LOGIN, "email", "pattern"], "^.+@.+$"),
        "request-property-pattern-added",
        "ERR",
        False,
    ),
    (
        "method enum value added",
        _set([*LOGIN, "method", "enum"], ["password", "legacy", "sso"]),
        "request-property-enum-value-added",
        "INFO",
        False,
    ),
    (
        "email restricted to enum",
        _set([*LOGIN, "email", "enum"], ["a@b.c"]),
        "request-property-became-enum",
        "ERR",
        False,
    ),
    (
        "email becomes nullable",
        _set([*LOGIN, "email", "type"], ["string", "null"]),
        "request-property-became-nullable",
        "INFO",
        False,
    ),
    (
        "token_type enum grows",
        _set([*TOKEN, "token_type", "enum"], ["bearer", "dpop"]),
        "response-property-enum-value-added",
        "WARN",
        False,
    ),
    (
        "access_token nullable",
        _set([*TOKEN, "access_token", "nullable"], True),
        "response-property-became-nullable",
        "ERR",
        False,
    ),
    (
        "token type widened",
        _set([*TOKEN, "access_token", "type"], ["string", "integer"]),
        "response-property-type-changed",
        "ERR",
        False,
    ),
    (
        "optional request property",
        _set([*LOGIN, "remember"], {"type": "boolean"}),
        "new-optional-request-property",
        "INFO",
        False,
    ),
    (
        "required token field removed",
        _delete([*TOKEN, "access_token"]),
        "response-required-property-removed",
        "ERR",
        True,
    ),
    (
        "scheme changed",
        _set([*BEARER, "scheme"], "basic"),
        "api-security-component-type-changed",
        "ERR",
        True,
    ),
    (
        "scheme removed",
        _delete(["components", "securitySchemes", "bearer"]),
        "api-security-component-removed",
        "ERR",
        True,
    ),
    ("global security removed", _delete(["security"]), "api-global-security-removed", "ERR", True),
    (
        "login now needs a token",
        _delete(["paths", "/v1/sessions", "post", "security"]),
        "api-security-added",
        "ERR",
        True,
    ),
    (
        "scope required",
        _set(["security"], [{"bearer": ["admin"]}]),
        "api-global-security-scope-added",
        "ERR",
        True,
    ),
    (
        "request body optional",
        _set(["paths", "/v1/sessions", "post", "requestBody", "required"], False),
        "request-body-became-optional",
        "INFO",
        False,
    ),
    (
        "request media type removed",
        _set(
            ["paths", "/v1/sessions", "post", "requestBody", "content"],
            {"application/x-www-form-urlencoded": {}},
        ),
        "request-body-media-type-removed",
        "ERR",
        False,
    ),
    (
        "success status added",
        _set(["paths", "/v1/users/{id}", "delete", "responses", "200"], {"description": "x"}),
        "response-success-status-added",
        "INFO",
        False,
    ),
    (
        "success status removed",
        _delete(["paths", "/v1/users/{id}", "delete", "responses", "204"]),
        "response-success-status-removed",
        "ERR",
        False,
    ),
    (
        "operation deprecated",
        _set(["paths", "/v1/me", "get", "deprecated"], True),
        "endpoint-deprecated",
        "INFO",
        False,
    ),
    (
        "operation id changed",
        _set(["paths", "/v1/sessions", "post", "operationId"], "createSession"),
        "api-operation-id-removed",
        "WARN",
        False,
    ),
    (
        "query parameter required",
        _set(["paths", "/v1/me", "get", "parameters", 0, "required"], True),
        "request-parameter-became-required",
        "ERR",
        False,
    ),
]


@pytest.mark.parametrize(
    ("mutate", "rule", "level", "auth"),
    [pytest.param(m, r, lvl, a, id=label) for label, m, r, lvl, a in CASES],
)
def test_rule(mutate: Callable[[Doc], None], rule: str, level: str, auth: bool) -> None:
    base = spec()
    candidate = copy.deepcopy(base)
    mutate(candidate)
    found = {(c.rule_id, c.level, c.auth) for c in compare(base, candidate, TOKENS)}
    assert (rule, level, auth) in found, sorted(found)


def test_identical_documents_have_no_change() -> None:
    assert compare(spec(), spec(), TOKENS) == []


def test_renamed_path_parameter_is_the_same_operation() -> None:
    base = spec()
    candidate = copy.deepcopy(base)
    candidate["paths"]["/v1/users/{user_id}"] = candidate["paths"].pop("/v1/users/{id}")
    assert compare(base, candidate, TOKENS) == []


def test_removing_a_deprecated_operation_is_info() -> None:
    base = spec()
    base["paths"]["/v1/users/{id}"]["delete"]["deprecated"] = True
    candidate = copy.deepcopy(base)
    del candidate["paths"]["/v1/users/{id}"]
    (change,) = compare(base, candidate, TOKENS)
    assert (change.rule_id, change.level) == ("api-path-removed-with-deprecation", "INFO")


def test_all_of_is_merged() -> None:
    base = spec()
    login = _schemas(base)["Login"]
    _schemas(base)["Login"] = {"allOf": [login, {"properties": {"otp": {"type": "string"}}}]}
    candidate = copy.deepcopy(base)
    candidate["components"]["schemas"]["Login"]["allOf"][1]["required"] = ["otp"]
    rules = {c.rule_id for c in compare(base, candidate, TOKENS)}
    assert rules == {"request-property-became-required"}


def test_oauth_flows() -> None:
    base = spec()
    flows = {"password": {"tokenUrl": "/v1/sessions", "scopes": {"read": "r", "admin": "a"}}}
    base["components"]["securitySchemes"]["oauth"] = {"type": "oauth2", "flows": flows}
    candidate = copy.deepcopy(base)
    candidate["components"]["securitySchemes"]["oauth"]["flows"]["password"] = {
        "tokenUrl": "/v2/token",
        "scopes": {"read": "r"},
    }
    rules = {c.rule_id for c in compare(base, candidate, TOKENS)}
    assert rules == {
        "api-security-component-oauth-token-url-changed",
        "api-security-component-oauth-scope-removed",
    }


def test_ref_cycle_and_external_ref_are_bad_input() -> None:
    base = spec()
    cyclic = copy.deepcopy(base)
    cyclic["components"]["schemas"]["Login"] = {"$ref": "#/components/schemas/Loop"}
    cyclic["components"]["schemas"]["Loop"] = {"$ref": "#/components/schemas/Login"}
    with pytest.raises(InputError, match="cycle"):
        compare(base, cyclic, TOKENS)
    external = copy.deepcopy(base)
    external["components"]["schemas"]["Login"] = {"$ref": "other.yaml#/Login"}
    with pytest.raises(InputError, match="external \\$ref"):
        compare(base, external, TOKENS)


def test_load_document_accepts_yaml_and_rejects_non_openapi() -> None:
    assert load_document("openapi: 3.1.0\npaths: {}\n", "x.yaml")["openapi"] == "3.1.0"
    with pytest.raises(InputError, match="not an OpenAPI document"):
        load_document("[1, 2]", "x.json")
    with pytest.raises(InputError, match="neither JSON nor YAML"):
        load_document("a: [", "x.yaml")
