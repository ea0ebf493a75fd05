"""The policy: ``[tool.quality_gates]`` of the checked repository's ``pyproject.toml``.

Layers: defaults < policy file < command-line flags, where a flag left unset (``None``) does not
override. Every key is validated and every problem is reported with its key path, unknown keys
included, so one run shows everything wrong with a policy.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quality_gates import validate as v
from quality_gates.behaviour.policy import SECTION_TYPES as BEHAVIOUR_SECTION_TYPES
from quality_gates.behaviour.policy import SECTIONS as BEHAVIOUR_SECTIONS
from quality_gates.behaviour.policy import BehaviourPolicy
from quality_gates.errors import InputError
from quality_gates.mutation.policy import SECTION_TYPES as MUTATION_SECTION_TYPES
from quality_gates.mutation.policy import SECTIONS as MUTATION_SECTIONS
from quality_gates.mutation.policy import MutationPolicy
from quality_gates.policy_deploy import SECTION_TYPES as DEPLOY_SECTION_TYPES
from quality_gates.policy_deploy import SECTIONS as DEPLOY_SECTIONS
from quality_gates.policy_deploy import CanaryPolicy, ReplayPolicy

ROOT = "tool.quality_gates"
ITEM_ID = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
DEFAULT_TEST_PATHS = ("tests/**", "test/**", "**/test_*.py", "**/*_test.py", "**/conftest.py")
DEFAULT_TOKEN_FIELDS = ("access_token", "refresh_token", "id_token", "token_type", "expires_in")


@dataclass(frozen=True)
class ChecklistItem:
    """A required review item; ``paths`` empty means "the critical paths"."""

    id: str
    text: str
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChecklistPolicy:
    """``[tool.quality_gates.checklist]``."""

    items: tuple[ChecklistItem, ...] = ()
    require_tests_with_critical_changes: bool = True
    min_approvals: int = 0
    exemption_label: str = ""
    template: str = ".github/pull_request_template.md"


@dataclass(frozen=True)
class CoveragePolicy:
    """``[tool.quality_gates.coverage]``; thresholds are percentages."""

    data_file: str = ".coverage"
    fail_under: float = 80.0
    critical_fail_under: float = 90.0
    changed_fail_under: float = 80.0
    critical_changed_fail_under: float = 100.0
    require_branch: bool = True
    omit: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApiCompatPolicy:
    """``[tool.quality_gates.api_compat]``."""

    snapshot: str = ""
    command: tuple[str, ...] = ()
    command_timeout: float = 120.0
    waivers: str = ""
    fail_on: str = "ERR"
    token_fields: tuple[str, ...] = DEFAULT_TOKEN_FIELDS


@dataclass(frozen=True)
class IncidentsPolicy:
    """``[tool.quality_gates.incidents]``."""

    directory: str = "postmortems"
    junit: str = "reports/junit.xml"
    marker: str = "incident"


@dataclass(frozen=True)
class Policy:
    """The whole policy, with every default filled in."""

    baseline: str = "origin/main"
    baseline_fallback: str = "HEAD~1"
    critical_paths: tuple[str, ...] = ()
    test_paths: tuple[str, ...] = DEFAULT_TEST_PATHS
    gates: tuple[str, ...] = ()
    checklist: ChecklistPolicy = field(default_factory=ChecklistPolicy)
    coverage: CoveragePolicy = field(default_factory=CoveragePolicy)
    api_compat: ApiCompatPolicy = field(default_factory=ApiCompatPolicy)
    incidents: IncidentsPolicy = field(default_factory=IncidentsPolicy)
    replay: ReplayPolicy = field(default_factory=ReplayPolicy)
    canary: CanaryPolicy = field(default_factory=CanaryPolicy)
    mutation: MutationPolicy = field(default_factory=MutationPolicy)
    behaviour: BehaviourPolicy = field(default_factory=BehaviourPolicy)


def _as_is(raw: object) -> object:
    """Sub-tables are checked key by key later, with their own key paths."""
    return raw


_TOP: dict[str, v.Converter] = {
    "baseline": v.text,
    "baseline_fallback": v.one_of("HEAD~1", "none", "error"),
    "critical_paths": v.glob_list,
    "test_paths": v.glob_list,
    "gates": v.string_list,
}
_SECTIONS: dict[str, tuple[str, dict[str, v.Converter]]] = {
    "checklist": (
        "checklist",
        {
            "items": _as_is,  # checked item by item, for precise key paths
            "require_tests_with_critical_changes": v.boolean,
            "min_approvals": v.non_negative_int,
            "exemption_label": v.string,
            "template": v.text,
        },
    ),
    "coverage": (
        "coverage",
        {
            "data_file": v.text,
            "fail_under": v.percent,
            "critical_fail_under": v.percent,
            "changed_fail_under": v.percent,
            "critical_changed_fail_under": v.percent,
            "require_branch": v.boolean,
            "omit": v.glob_list,
        },
    ),
    "api_compat": (
        "api_compat",
        {
            "snapshot": v.string,
            "command": v.command,
            "command_timeout": v.positive_number,
            "waivers": v.string,
            "fail_on": v.one_of("ERR", "WARN"),
            "token_fields": v.string_list,
        },
    ),
    "incidents": (
        "incidents",
        {"directory": v.text, "junit": v.string, "marker": v.text},
    ),
    **DEPLOY_SECTIONS,
    **MUTATION_SECTIONS,
    **BEHAVIOUR_SECTIONS,
}
_ITEM: dict[str, v.Converter] = {"id": v.text, "text": v.text, "paths": v.glob_list}


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
    fields: dict[str, v.Converter] = {**_TOP, **dict.fromkeys(_SECTIONS, _as_is)}
    top = v.check_table(table, ROOT, fields, problems)
    values: dict[str, Any] = {key: top[key] for key in _TOP if key in top}
    for gate in values.get("gates", ()):
        if gate not in known_gates:
            problems.append(
                f"{ROOT}.gates: unknown gate {gate!r} (known: {', '.join(known_gates)})"
            )
    values.setdefault("gates", known_gates if default_gates is None else default_gates)
    for key, (attr, section_fields) in _SECTIONS.items():
        raw = table.get(key, {})
        if not isinstance(raw, dict):
            problems.append(f"{ROOT}.{key}: expected a table, got {v.describe(raw)}")
            continue
        section = v.check_table(raw, f"{ROOT}.{key}", section_fields, problems)
        if "items" in section:
            section["items"] = _items(section["items"], f"{ROOT}.{key}.items", problems)
        values[attr] = _SECTION_TYPES[attr](**section)
    if problems:
        raise InputError(problems)
    return Policy(**values)


def _items(raw: object, keypath: str, problems: list[str]) -> tuple[ChecklistItem, ...]:
    if not isinstance(raw, list):
        problems.append(f"{keypath}: expected a list of tables, got {v.describe(raw)}")
        return ()
    items: list[ChecklistItem] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        path = f"{keypath}[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{path}: expected a table, got {v.describe(entry)}")
            continue
        values = v.check_table(entry, path, _ITEM, problems, required=("id", "text"))
        item_id = values.get("id")
        if item_id is not None:
            if not ITEM_ID.match(item_id):
                problems.append(
                    f"{path}.id: expected lower-case letters, digits, '-' or '_', got {item_id!r}"
                )
            elif item_id in seen:
                problems.append(f"{path}.id: duplicate id {item_id!r}")
            seen.add(item_id)
        if "id" in values and "text" in values:
            items.append(ChecklistItem(values["id"], values["text"], values.get("paths", ())))
    return tuple(items)


_SECTION_TYPES: dict[str, type[Any]] = {
    "checklist": ChecklistPolicy,
    "coverage": CoveragePolicy,
    "api_compat": ApiCompatPolicy,
    "incidents": IncidentsPolicy,
    **DEPLOY_SECTION_TYPES,
    **MUTATION_SECTION_TYPES,
    **BEHAVIOUR_SECTION_TYPES,
}


OVERRIDE_PREFIX = "policy:"


def override_dest(key: str) -> str:
    """The argparse ``dest`` of a flag that overrides policy key ``key`` (dotted)."""
    return OVERRIDE_PREFIX + key


def overrides_from(namespace: Mapping[str, object]) -> dict[str, object]:
    """The policy overrides among parsed command-line options (``vars(args)``)."""
    return {
        key.removeprefix(OVERRIDE_PREFIX): value
        for key, value in namespace.items()
        if key.startswith(OVERRIDE_PREFIX)
    }


def apply_overrides(policy: Policy, overrides: Mapping[str, object]) -> Policy:
    """Return ``policy`` with dotted keys replaced (``{"coverage.fail_under": 90.0}``).

    ``None`` values are "not given on the command line" and leave the policy value alone.
    """
    top: dict[str, Any] = {}
    sections: dict[str, dict[str, Any]] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        section, _, name = key.rpartition(".")
        if section:
            sections.setdefault(section, {})[name] = value
        else:
            top[name] = value
    for section, values in sections.items():
        top[section] = dataclasses.replace(getattr(policy, section), **values)
    return dataclasses.replace(policy, **top)
