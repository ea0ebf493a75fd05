"""Load an OpenAPI document (JSON or YAML) and resolve its local ``$ref`` pointers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from quality_gates.errors import InputError

Node = Mapping[str, Any]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def load_document(text: str, where: str) -> dict[str, Any]:
    """Parse ``text`` as JSON, else YAML; raise ``InputError`` unless it is an OpenAPI object."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(f"{where}: neither JSON nor YAML: {exc}") from None
    if not isinstance(document, dict) or not ("openapi" in document or "swagger" in document):
        raise InputError(f"{where}: not an OpenAPI document (no 'openapi' key)")
    if not isinstance(document.get("paths", {}), dict):
        raise InputError(f"{where}: 'paths' is not an object")
    return document


class Resolver:
    """Follows ``#/...`` references inside one document."""

    def __init__(self, document: Mapping[str, Any], where: str) -> None:
        self.document = document
        self.where = where

    def pointer(self, ref: str) -> Any:
        """The node a local JSON pointer names."""
        if not ref.startswith("#"):
            raise InputError(f"{self.where}: external $ref {ref!r} is not supported; bundle it")
        node: Any = self.document
        for raw in ref[1:].split("/")[1:]:
            key = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            elif isinstance(node, Mapping) and key in node:
                node = node[key]
            else:
                raise InputError(f"{self.where}: $ref {ref!r} points to nothing")
        return node

    def resolve(self, node: Any) -> Any:
        """``node`` with its chain of ``$ref`` followed (cycles raise ``InputError``)."""
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                raise InputError(f"{self.where}: $ref cycle through {ref!r}")
            seen.add(ref)
            node = self.pointer(ref)
        return node

    def mapping(self, node: Any) -> Node:
        """Resolve ``node`` and return it when it is an object, else an empty mapping."""
        resolved = self.resolve(node)
        return resolved if isinstance(resolved, Mapping) else {}


def operations(document: Mapping[str, Any], resolver: Resolver) -> dict[tuple[str, str], Node]:
    """``(METHOD, path) -> operation``, path-level parameters merged into each operation."""
    result: dict[tuple[str, str], Node] = {}
    for path, item in (document.get("paths") or {}).items():
        path_item = resolver.mapping(item)
        shared = list(path_item.get("parameters") or [])
        for method in HTTP_METHODS:
            operation = path_item.get(method)
            if isinstance(operation, Mapping):
                merged = dict(operation)
                own = {_param_key(p, resolver) for p in operation.get("parameters") or []}
                merged["parameters"] = [
                    *(p for p in shared if _param_key(p, resolver) not in own),
                    *(operation.get("parameters") or []),
                ]
                result[(method.upper(), path)] = merged
    return result


def _param_key(param: Any, resolver: Resolver) -> tuple[str, str]:
    resolved = resolver.mapping(param)
    return str(resolved.get("in", "")), str(resolved.get("name", ""))
