"""Auth-aware security rules: any change to who may call an endpoint, or how, is an ERR.

oasdiff rates several of these INFO; for an authentication service a removed requirement makes
an endpoint public and a changed one locks clients out, so they are raised (``auth=True``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from quality_gates.openapi.changes import Level
from quality_gates.openapi.document import Node, Resolver


class Emit(Protocol):
    """Receives a change of one operation ("" for the document)."""

    def __call__(
        self, rule: str, level: Level, operation: str, message: str, *, auth: bool = False
    ) -> None:
        """Record one change."""


Requirement = frozenset[str]  # the scheme names of one alternative


def _requirements(raw: Any) -> dict[Requirement, dict[str, frozenset[str]]]:
    """``[{scheme: [scopes]}, ...]`` -> alternative -> scheme -> scopes."""
    result: dict[Requirement, dict[str, frozenset[str]]] = {}
    for alternative in raw if isinstance(raw, list) else []:
        if isinstance(alternative, Mapping):
            result[frozenset(alternative)] = {
                name: frozenset(scopes or []) for name, scopes in alternative.items()
            }
    return result


def _show(requirement: Requirement) -> str:
    return " + ".join(sorted(requirement)) or "anonymous ({})"


def compare_requirements(raw_base: Any, raw_rev: Any, operation: str, emit: Emit) -> None:
    """Compare two security requirement lists (document-level when ``operation`` is "")."""
    scope = "api-global-security" if not operation else "api-security"
    base, rev = _requirements(raw_base), _requirements(raw_rev)
    for requirement in sorted(base.keys() - rev.keys(), key=_show):
        emit(
            f"{scope}-removed",
            "ERR",
            operation,
            f"security requirement {_show(requirement)} removed",
            auth=True,
        )
    for requirement in sorted(rev.keys() - base.keys(), key=_show):
        emit(
            f"{scope}-added",
            "ERR",
            operation,
            f"security requirement {_show(requirement)} added",
            auth=True,
        )
    for requirement in sorted(base.keys() & rev.keys(), key=_show):
        for scheme in sorted(requirement):
            old, new = base[requirement][scheme], rev[requirement][scheme]
            for value in sorted(old - new):
                emit(
                    f"{scope}-scope-removed",
                    "ERR",
                    operation,
                    f"scope {value!r} removed from security scheme {scheme!r}",
                    auth=True,
                )
            for value in sorted(new - old):
                emit(
                    f"{scope}-scope-added",
                    "ERR",
                    operation,
                    f"scope {value!r} added to security scheme {scheme!r}",
                    auth=True,
                )


def compare_operation(
    base_op: Node, rev_op: Node, *, base_doc: Node, rev_doc: Node, operation: str, emit: Emit
) -> None:
    """Compare an operation's effective security, when either side sets its own."""
    if "security" not in base_op and "security" not in rev_op:
        return  # both inherit the document's: the document-level rule reports it once
    compare_requirements(
        base_op.get("security", base_doc.get("security")),
        rev_op.get("security", rev_doc.get("security")),
        operation,
        emit,
    )


def compare_schemes(base: Resolver, rev: Resolver, emit: Emit) -> None:
    """Compare ``components.securitySchemes``."""
    old = base.mapping((base.document.get("components") or {}).get("securitySchemes") or {})
    new = rev.mapping((rev.document.get("components") or {}).get("securitySchemes") or {})
    for name in sorted(old.keys() - new.keys()):
        emit(
            "api-security-component-removed",
            "ERR",
            "",
            f"security scheme {name!r} removed",
            auth=True,
        )
    for name in sorted(new.keys() - old.keys()):
        emit("api-security-component-added", "INFO", "", f"security scheme {name!r} added")
    for name in sorted(old.keys() & new.keys()):
        a, b = base.mapping(old[name]), rev.mapping(new[name])
        for field in ("type", "scheme", "in", "name", "bearerFormat", "openIdConnectUrl"):
            if a.get(field) != b.get(field):
                emit(
                    "api-security-component-type-changed",
                    "ERR",
                    "",
                    f"security scheme {name!r}: {field} changed from {a.get(field)!r} to "
                    f"{b.get(field)!r}",
                    auth=True,
                )
        _compare_flows(name, a.get("flows") or {}, b.get("flows") or {}, emit)


def _compare_flows(name: str, old: Mapping[str, Any], new: Mapping[str, Any], emit: Emit) -> None:
    for flow in sorted(set(old) | set(new)):
        a, b = old.get(flow) or {}, new.get(flow) or {}
        for field, rule in (
            ("tokenUrl", "api-security-component-oauth-token-url-changed"),
            ("authorizationUrl", "api-security-component-oauth-url-changed"),
        ):
            if a.get(field) != b.get(field):
                emit(
                    rule,
                    "ERR",
                    "",
                    f"security scheme {name!r} flow {flow}: {field} changed from "
                    f"{a.get(field)!r} to {b.get(field)!r}",
                    auth=True,
                )
        for scope in sorted(set(a.get("scopes") or {}) - set(b.get("scopes") or {})):
            emit(
                "api-security-component-oauth-scope-removed",
                "ERR",
                "",
                f"security scheme {name!r} flow {flow}: scope {scope!r} removed",
                auth=True,
            )
