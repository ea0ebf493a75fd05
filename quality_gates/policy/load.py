"""Reading ``[tool.quality_gates]`` of the checked repository's ``pyproject.toml``.

Layers: defaults < policy file < command-line flags, where a flag left unset (``None``) does not
override. Every key is validated and every problem is reported with its key path, unknown keys
included, so one run shows everything wrong with a policy. The converters come from the
settings' declarations (``quality_gates.policy.setting``).
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from quality_gates import validate as v
from quality_gates.errors import InputError
from quality_gates.policy.model import ROOT, Policy, sections, settings
from quality_gates.policy.setting import spec_of


def load_policy(
    repo: Path, known_gates: tuple[str, ...], default_gates: tuple[str, ...] | None = None
) -> Policy:
    """Read and validate the policy of ``repo``; defaults when it has none.

    ``default_gates`` is what ``run`` runs when the policy lists no ``gates`` (default: all
    known gates). Raises ``InputError`` listing every problem found.
    """
    defaults = known_gates if default_gates is None else default_gates
    pyproject = repo / "pyproject.toml"
    if not pyproject.is_file():
        return Policy(gates=defaults)
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{pyproject.name}: invalid TOML: {exc}") from None
    table = document.get("tool", {}).get("quality_gates", {})
    if not isinstance(table, dict):
        raise InputError(f"{ROOT}: expected a table, got {v.describe(table)}")
    return parse_policy(table, known_gates, default_gates)


def parse_policy(
    table: Mapping[str, Any],
    known_gates: tuple[str, ...],
    default_gates: tuple[str, ...] | None = None,
) -> Policy:
    """Validate a ``[tool.quality_gates]`` table (already parsed) into a ``Policy``."""
    problems: list[str] = []
    kinds = sections()
    values = _section_values(table, ROOT, Policy, problems, extra=tuple(kinds))
    for gate in values.get("gates", ()):
        if gate not in known_gates:
            problems.append(
                f"{ROOT}.gates: unknown gate {gate!r} (known: {', '.join(known_gates)})"
            )
    values.setdefault("gates", known_gates if default_gates is None else default_gates)
    for key, kind in kinds.items():
        raw = table.get(key, {})
        if not isinstance(raw, dict):
            problems.append(f"{ROOT}.{key}: expected a table, got {v.describe(raw)}")
            continue
        values[key] = kind(**_section_values(raw, f"{ROOT}.{key}", kind, problems))
    if problems:
        raise InputError(problems)
    return Policy(**values)


def _section_values(
    table: Mapping[str, Any],
    keypath: str,
    kind: type[Any],
    problems: list[str],
    extra: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The converted keys of one table; sub-tables named in ``extra`` are left to the caller."""
    declared = {f.name: spec_of(f) for f in settings(kind)}
    known = [*declared, *extra]
    values: dict[str, Any] = {}
    for key, raw in table.items():
        spec = declared.get(key)
        if spec is None:
            if key not in extra:
                problems.append(v.unknown_key(keypath, key, known))
        elif spec.nested is not None:
            values[key] = spec.nested(raw, f"{keypath}.{key}", problems)
        else:
            try:
                values[key] = spec.convert(raw)
            except v.Invalid as exc:
                problems.append(v.problem(f"{keypath}.{key}", exc, raw))
    return values


def apply_overrides(policy: Policy, overrides: Mapping[str, object]) -> Policy:
    """Return ``policy`` with dotted keys replaced (``{"coverage.fail_under": 90.0}``).

    ``None`` values are "not given on the command line" and leave the policy value alone.
    """
    top: dict[str, Any] = {}
    by_section: dict[str, dict[str, Any]] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        section, _, name = key.rpartition(".")
        if section:
            by_section.setdefault(section, {})[name] = value
        else:
            top[name] = value
    for section, values in by_section.items():
        top[section] = dataclasses.replace(getattr(policy, section), **values)
    return dataclasses.replace(policy, **top)
