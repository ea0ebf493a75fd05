"""Schema rules: types, nullability, enums, constraints, properties, array items.

Direction decides what breaks: a request schema breaks clients when it accepts less (narrower
type, removed enum value, tighter bound, new required property); a response schema breaks them
when it promises less or returns more (removed or newly optional property, new enum value, looser
bound, nullable). ``allOf`` is merged; ``oneOf``/``anyOf`` are compared only as wholes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from quality_gates.openapi.changes import Level
from quality_gates.openapi.document import Resolver


class Emit(Protocol):
    """Receives a change: oasdiff rule id, level, message; ``auth`` when an auth rule raised it."""

    def __call__(self, rule: str, level: Level, message: str, *, auth: bool = False) -> None:
        """Record one change."""


MAX_DEPTH = 40
_INT, _NUM = frozenset({"integer"}), frozenset({"number"})
# keyword, rule suffix, "bigger is looser" (a request breaks when it moves the other way)
_BOUNDS = (
    ("maxLength", "max-length", True),
    ("minLength", "min-length", False),
    ("maximum", "max", True),
    ("minimum", "min", False),
    ("maxItems", "max-items", True),
    ("minItems", "min-items", False),
)


def _flatten(schema: Mapping[str, Any], resolver: Resolver, depth: int = 0) -> dict[str, Any]:
    """The schema with its ``allOf`` parts merged in (properties and required united)."""
    merged = {key: value for key, value in schema.items() if key != "allOf"}
    if depth > MAX_DEPTH:
        return merged
    for part in schema.get("allOf") or []:
        sub = _flatten(resolver.mapping(part), resolver, depth + 1)
        merged["properties"] = {**(sub.get("properties") or {}), **(merged.get("properties") or {})}
        merged["required"] = sorted({*(sub.get("required") or []), *(merged.get("required") or [])})
        for key, value in sub.items():
            merged.setdefault(key, value)
    return merged


def _types(schema: Mapping[str, Any]) -> frozenset[str]:
    raw = schema.get("type")
    types = set(raw) if isinstance(raw, list) else {raw} if isinstance(raw, str) else set()
    return frozenset(types - {"null"})


def _nullable(schema: Mapping[str, Any]) -> bool:
    raw = schema.get("type")
    return schema.get("nullable") is True or (isinstance(raw, list) and "null" in raw)


def _show(types: frozenset[str], fmt: object) -> str:
    text = "/".join(sorted(types)) or "any"
    return f"{text}/{fmt}" if fmt else text


class SchemaComparer:
    """Compares a baseline schema with a candidate one, in one direction."""

    def __init__(
        self,
        base: Resolver,
        rev: Resolver,
        emit: Emit,
        *,
        request: bool,
        token_fields: tuple[str, ...] = (),
    ) -> None:
        self.base, self.rev, self.emit = base, rev, emit
        self.request = request
        self.token_fields = frozenset(token_fields)
        self._stack: set[tuple[int, int]] = set()

    def _prefix(self, where: str) -> str:
        side = "request" if self.request else "response"
        return f"{side}-body" if not where else f"{side}-property"

    def _subject(self, where: str) -> str:
        side = "request" if self.request else "response"
        return f"the {side} body" if not where else f"the {side} property {where!r}"

    def compare(self, base: Any, rev: Any, where: str = "", *, prefix: str | None = None) -> None:
        """Compare two schemas; ``where`` is the property path (``user/email``), "" for root."""
        b = _flatten(self.base.mapping(base), self.base)
        r = _flatten(self.rev.mapping(rev), self.rev)
        key = (id(self.base.resolve(base)), id(self.rev.resolve(rev)))
        if key in self._stack or where.count("/") > MAX_DEPTH:
            return  # a recursive schema: this pair is already being compared further up
        self._stack.add(key)
        try:
            rule = prefix or self._prefix(where)
            subject = self._subject(where) if prefix is None else where
            self._type(b, r, rule, subject)
            self._enum(b, r, rule, subject)
            self._bounds(b, r, rule, subject)
            self._properties(b, r, where)
            if "items" in b and "items" in r:
                self.compare(b["items"], r["items"], f"{where}/items" if where else "items")
        finally:
            self._stack.discard(key)

    def _type(self, b: Mapping[str, Any], r: Mapping[str, Any], rule: str, subject: str) -> None:
        tb, tr = _types(b), _types(r)
        fb, fr = b.get("format"), r.get("format")
        if (tb, fb) != (tr, fr) and (tb or tr):
            # Wider: accepts every value the other accepts (no type, a superset, int -> number).
            type_wider = tb == tr or (bool(tb) and (not tr or tb < tr or (tb, tr) == (_INT, _NUM)))
            type_narrower = tb == tr or (
                bool(tr) and (not tb or tr < tb or (tb, tr) == (_NUM, _INT))
            )
            change = f"type/format changed from {_show(tb, fb)} to {_show(tr, fr)}"
            if self.request and type_wider and (fb == fr or not fr):
                self.emit(f"{rule}-type-generalized", "INFO", f"{subject}: {change}")
            elif not self.request and type_narrower and (fb == fr or not fb):
                self.emit(f"{rule}-type-changed", "INFO", f"{subject}: {change}")
            else:
                self.emit(f"{rule}-type-changed", "ERR", f"{subject}: {change}")
        nb, nr = _nullable(b), _nullable(r)
        if nb != nr:
            became = "nullable" if nr else "not-nullable"
            breaks = (self.request and not nr) or (not self.request and nr)
            self.emit(
                f"{rule}-became-{became}",
                "ERR" if breaks else "INFO",
                f"{subject} became {became.replace('-', ' ')}",
            )

    def _enum(self, b: Mapping[str, Any], r: Mapping[str, Any], rule: str, subject: str) -> None:
        eb, er = b.get("enum"), r.get("enum")
        if not isinstance(er, list):
            return
        if not isinstance(eb, list):
            if self.request:
                self.emit(
                    f"{rule}-became-enum",
                    "ERR",
                    f"{subject} was restricted to a list of enum values",
                )
            return
        removed = [v for v in eb if v not in er]
        added = [v for v in er if v not in eb]
        for value in removed:
            level: Level = "ERR" if self.request else "INFO"
            self.emit(
                f"{rule}-enum-value-removed",
                level,
                f"{subject}: enum value {value!r} removed",
            )
        for value in added:
            level = "INFO" if self.request else "WARN"
            self.emit(f"{rule}-enum-value-added", level, f"{subject}: enum value {value!r} added")

    def _bounds(self, b: Mapping[str, Any], r: Mapping[str, Any], rule: str, subject: str) -> None:
        for keyword, suffix, bigger_is_looser in _BOUNDS:
            vb, vr = b.get(keyword), r.get(keyword)
            if vb == vr or (vb is None and vr is None):
                continue
            if vr is None:
                looser, what = True, f"{keyword} {vb} removed"
            elif vb is None:
                looser, what = False, f"{keyword} set to {vr}"
            else:
                looser = (vr > vb) == bigger_is_looser
                what = f"{keyword} changed from {vb} to {vr}"
            if vb is None:
                rule_id = f"{rule}-{suffix}-set"
            elif vr is None:
                rule_id = f"{rule}-{suffix}-unset"
            else:
                grew = "increased" if vr > vb else "decreased"
                rule_id = f"{rule}-{suffix}-{grew}"
            breaks = looser != self.request
            level: Level = "INFO" if not breaks else ("ERR" if self.request else "WARN")
            self.emit(rule_id, level, f"{subject}: {what}")
        pb, pr = b.get("pattern"), r.get("pattern")
        if pb != pr and self.request:
            if pb is None:
                self.emit(f"{rule}-pattern-added", "ERR", f"{subject}: pattern {pr!r} added")
            elif pr is None:
                self.emit(f"{rule}-pattern-removed", "INFO", f"{subject}: pattern removed")
            else:
                self.emit(
                    f"{rule}-pattern-changed",
                    "WARN",
                    f"{subject}: pattern changed from {pb!r} to {pr!r}",
                )

    def _properties(self, b: Mapping[str, Any], r: Mapping[str, Any], where: str) -> None:
        pb, pr = b.get("properties") or {}, r.get("properties") or {}
        rb, rr = set(b.get("required") or []), set(r.get("required") or [])
        token_schema = not self.request and bool(self.token_fields & set(pb))
        for name in sorted(set(pb) | set(pr)):
            path = f"{where}/{name}" if where else name
            if name not in pr:
                self._removed(path, required=name in rb, token_schema=token_schema)
            elif name not in pb:
                req = name in rr
                if self.request:
                    self.emit(
                        f"new-{'required' if req else 'optional'}-request-property",
                        "ERR" if req else "INFO",
                        f"request property {path!r} added",
                    )
                else:
                    self.emit(
                        f"response-{'required' if req else 'optional'}-property-added",
                        "INFO",
                        f"response property {path!r} added",
                    )
            else:
                if (name in rb) != (name in rr):
                    now = "required" if name in rr else "optional"
                    breaks = (now == "required") == self.request
                    side = "request" if self.request else "response"
                    self.emit(
                        f"{side}-property-became-{now}",
                        "ERR" if breaks else "INFO",
                        f"{side} property {path!r} became {now}",
                    )
                self.compare(pb[name], pr[name], path)

    def _removed(self, path: str, *, required: bool, token_schema: bool) -> None:
        if self.request:
            self.emit("request-property-removed", "WARN", f"request property {path!r} removed")
            return
        rule = f"response-{'required' if required else 'optional'}-property-removed"
        if token_schema:
            self.emit(rule, "ERR", f"token response property {path!r} removed", auth=True)
        else:
            self.emit(rule, "ERR" if required else "WARN", f"response property {path!r} removed")
