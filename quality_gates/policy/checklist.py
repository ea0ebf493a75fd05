"""``[tool.quality_gates.checklist]``: required review items, tests, approvals."""

from __future__ import annotations

import re
from dataclasses import dataclass

from quality_gates import validate as v
from quality_gates.policy.setting import Alias, nested, setting

ITEM_ID = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
_ITEM: dict[str, v.Converter] = {"id": v.text, "text": v.text, "paths": v.glob_list}


@dataclass(frozen=True)
class ChecklistItem:
    """A required review item; ``paths`` empty means "the critical paths"."""

    id: str
    text: str
    paths: tuple[str, ...] = ()


def items(raw: object, keypath: str, problems: list[str]) -> tuple[ChecklistItem, ...]:
    """``[[...checklist.items]]``, checked item by item for precise key paths."""
    if not isinstance(raw, list):
        problems.append(f"{keypath}: expected a list of tables, got {v.describe(raw)}")
        return ()
    found: list[ChecklistItem] = []
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
            found.append(ChecklistItem(values["id"], values["text"], values.get("paths", ())))
    return tuple(found)


@dataclass(frozen=True)
class ChecklistPolicy:
    """``[tool.quality_gates.checklist]``."""

    items: tuple[ChecklistItem, ...] = nested(
        (), items, "required items: a list of tables with id, text and optional paths"
    )
    require_tests_with_critical_changes: bool = setting(
        default=True,
        convert=v.boolean,
        help="a change to a critical path must change a test too",
    )
    min_approvals: int = setting(
        0,
        v.non_negative_int,
        "approvals needed from reviewers other than the author",
        flag=None,
        metavar="N",
        read=int,
        aliases=(Alias("--min-approvals"),),
    )
    exemption_label: str = setting("", v.string, "a PR label that exempts the change")
    template: str = setting(
        ".github/pull_request_template.md", v.text, "the pull-request template to generate"
    )
