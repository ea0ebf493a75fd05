"""Operation-level rules: paths, operations, parameters, request bodies, responses, security.

Hand-written, since no maintained Python tool compares OpenAPI documents; the rule ids and
levels are oasdiff's (https://github.com/oasdiff/oasdiff), raised to ERR where an auth-aware
rule says so (see ``security`` and ``AUTH_STATUSES``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from quality_gates.openapi import security
from quality_gates.openapi.changes import Change, Level
from quality_gates.openapi.document import Node, Resolver, operations
from quality_gates.openapi.schemas import Emit, SchemaComparer

AUTH_STATUSES = frozenset({"401", "403", "429"})  # removing these hides auth failures
AUTH_HEADERS = frozenset({"www-authenticate", "retry-after", "set-cookie"})
_TEMPLATE = re.compile(r"\{[^}/]*\}")


def _normal(path: str) -> str:
    """``/users/{id}`` and ``/users/{user_id}`` are the same path."""
    return _TEMPLATE.sub("{}", path)


def _content(body: Node, resolver: Resolver) -> Mapping[str, Any]:
    content = resolver.mapping(body).get("content") or {}
    return content if isinstance(content, Mapping) else {}


def _schema(media: Any) -> Any:
    return (media or {}).get("schema") or {} if isinstance(media or {}, Mapping) else {}


def _required(flag: bool) -> str:  # noqa: FBT001 - a word for a flag
    return "required" if flag else "optional"


class _Comparer:
    """Compares the operations of two documents and collects the changes."""

    def __init__(self, base_doc: Node, rev_doc: Node, token_fields: tuple[str, ...]) -> None:
        self.base = Resolver(base_doc, "baseline")
        self.rev = Resolver(rev_doc, "candidate")
        self.token_fields = token_fields
        self.changes: list[Change] = []

    def add(
        self, rule: str, level: Level, operation: str, message: str, *, auth: bool = False
    ) -> None:
        self.changes.append(Change(rule, level, operation, message, auth))

    def emitter(self, operation: str, suffix: str = "") -> Emit:
        def emit(rule: str, level: Level, message: str, *, auth: bool = False) -> None:
            self.add(rule, level, operation, message + suffix, auth=auth)

        return emit

    def run(self) -> list[Change]:
        base_doc, rev_doc = self.base.document, self.rev.document
        security.compare_requirements(
            base_doc.get("security"), rev_doc.get("security"), "", self.add
        )
        security.compare_schemes(self.base, self.rev, self.add)
        old = {(m, _normal(p)): (p, op) for (m, p), op in operations(base_doc, self.base).items()}
        new = {(m, _normal(p)): (p, op) for (m, p), op in operations(rev_doc, self.rev).items()}
        new_paths = {path for _, path in new}
        for key in sorted(old.keys() - new.keys()):
            path, op = old[key]
            deprecated = bool(op.get("deprecated"))
            what = "api-path" if key[1] not in new_paths else "api"
            rule = f"{what}-removed-with{'' if deprecated else 'out'}-deprecation"
            message = f"{'path' if what == 'api-path' else 'operation'} removed"
            self.add(rule, "INFO" if deprecated else "ERR", f"{key[0]} {path}", message)
        for key in sorted(new.keys() - old.keys()):
            self.add("endpoint-added", "INFO", f"{key[0]} {new[key][0]}", "endpoint added")
        for key in sorted(old.keys() & new.keys()):
            (_, old_op), (path, new_op) = old[key], new[key]
            self.operation(old_op, new_op, f"{key[0]} {path}")
        return self.changes

    def operation(self, old: Node, new: Node, name: str) -> None:
        if new.get("deprecated") and not old.get("deprecated"):
            self.add("endpoint-deprecated", "INFO", name, "endpoint deprecated")
        if old.get("operationId") and old.get("operationId") != new.get("operationId"):
            self.add(
                "api-operation-id-removed", "WARN", name,
                f"operationId {old.get('operationId')!r} replaced by {new.get('operationId')!r}",
            )  # fmt: skip
        security.compare_operation(
            old, new, base_doc=self.base.document, rev_doc=self.rev.document, operation=name,
            emit=self.add,
        )  # fmt: skip
        self.parameters(old, new, name)
        self.request_body(old, new, name)
        self.responses(old, new, name)

    @staticmethod
    def _params(op: Node, resolver: Resolver, path: str) -> dict[tuple[str, str], Node]:
        params: dict[tuple[str, str], Node] = {}
        positions = {n.strip("{}"): str(i) for i, n in enumerate(_TEMPLATE.findall(path))}
        for raw in op.get("parameters") or []:
            param = resolver.mapping(raw)
            where, pname = str(param.get("in", "")), str(param.get("name", ""))
            if where == "path":
                pname = "#" + positions.get(pname, pname)  # renamed path parameters still match
            elif where == "header":
                pname = pname.lower()
            params[(where, pname)] = param
        return params

    def parameters(self, old: Node, new: Node, name: str) -> None:
        path = name.split(" ", 1)[1]
        pb, pr = self._params(old, self.base, path), self._params(new, self.rev, path)
        for key in sorted(pb.keys() - pr.keys()):
            message = f"{key[0]} parameter {pb[key].get('name')!r} removed"
            self.add("request-parameter-removed", "WARN", name, message)
        for key in sorted(pr.keys() - pb.keys()):
            required = bool(pr[key].get("required"))
            self.add(
                f"new-{_required(required)}-request-parameter", "ERR" if required else "INFO",
                name, f"{key[0]} parameter {pr[key].get('name')!r} added",
            )  # fmt: skip
        comparer = SchemaComparer(self.base, self.rev, self.emitter(name), request=True)
        for key in sorted(pb.keys() & pr.keys()):
            a, b = pb[key], pr[key]
            label = f"the {key[0]} parameter {b.get('name')!r}"
            if bool(a.get("required")) != bool(b.get("required")):
                now = _required(bool(b.get("required")))
                level: Level = "ERR" if now == "required" else "INFO"
                self.add(f"request-parameter-became-{now}", level, name, f"{label} became {now}")
            comparer.compare(
                a.get("schema") or {}, b.get("schema") or {}, label, prefix="request-parameter"
            )

    def request_body(self, old: Node, new: Node, name: str) -> None:
        a = self.base.mapping(old.get("requestBody") or {})
        b = self.rev.mapping(new.get("requestBody") or {})
        if not b:
            return
        if not a:
            required = bool(b.get("required"))
            level: Level = "ERR" if required else "INFO"
            self.add(f"request-body-added-{_required(required)}", level, name, "request body added")
            return
        if bool(a.get("required")) != bool(b.get("required")):
            now = _required(bool(b.get("required")))
            level = "ERR" if now == "required" else "INFO"
            self.add(f"request-body-became-{now}", level, name, f"request body became {now}")
        ca, cb = _content(a, self.base), _content(b, self.rev)
        for media in sorted(ca.keys() - cb.keys()):
            self.add("request-body-media-type-removed", "ERR", name, f"media type {media} removed")
        for media in sorted(cb.keys() - ca.keys()):
            self.add("request-body-media-type-added", "INFO", name, f"media type {media} added")
        comparer = SchemaComparer(self.base, self.rev, self.emitter(name), request=True)
        for media in sorted(ca.keys() & cb.keys()):
            comparer.compare(_schema(ca[media]), _schema(cb[media]))

    def responses(self, old: Node, new: Node, name: str) -> None:
        ra, rb = old.get("responses") or {}, new.get("responses") or {}
        for status in sorted(set(ra) - set(rb), key=str):
            success = str(status).startswith("2")
            auth = str(status) in AUTH_STATUSES
            level: Level = "ERR" if success or auth else "WARN"
            kind = "success" if success else "non-success"
            message = f"response {status} removed"
            self.add(f"response-{kind}-status-removed", level, name, message, auth=auth)
        for status in sorted(set(rb) - set(ra), key=str):
            kind = "success" if str(status).startswith("2") else "non-success"
            self.add(f"response-{kind}-status-added", "INFO", name, f"response {status} added")
        for status in sorted(set(ra) & set(rb), key=str):
            a, b = self.base.mapping(ra[status]), self.rev.mapping(rb[status])
            self.headers(a, b, name, str(status))
            ca, cb = _content(a, self.base), _content(b, self.rev)
            for media in sorted(ca.keys() - cb.keys()):
                message = f"media type {media} removed from response {status}"
                self.add("response-media-type-removed", "ERR", name, message)
            for media in sorted(cb.keys() - ca.keys()):
                message = f"media type {media} added to response {status}"
                self.add("response-media-type-added", "INFO", name, message)
            emit = self.emitter(name, f" (response {status})")
            comparer = SchemaComparer(
                self.base, self.rev, emit, request=False, token_fields=self.token_fields
            )
            for media in sorted(ca.keys() & cb.keys()):
                comparer.compare(_schema(ca[media]), _schema(cb[media]))

    def headers(self, a: Node, b: Node, name: str, status: str) -> None:
        ha = {k.lower(): self.base.mapping(v) for k, v in (a.get("headers") or {}).items()}
        hb = {k.lower(): self.rev.mapping(v) for k, v in (b.get("headers") or {}).items()}
        for header in sorted(ha.keys() - hb.keys()):
            required = bool(ha[header].get("required"))
            auth = header in AUTH_HEADERS
            level: Level = "ERR" if required or auth else "WARN"
            rule = f"{_required(required)}-response-header-removed"
            message = f"response header {header!r} removed from response {status}"
            self.add(rule, level, name, message, auth=auth)


def compare(base_doc: Node, rev_doc: Node, token_fields: tuple[str, ...]) -> list[Change]:
    """Every change from ``base_doc`` to ``rev_doc``, in a stable order."""
    return _Comparer(base_doc, rev_doc, token_fields).run()
