"""The table of policy keys in docs/policy.md, generated from the declarations.

``python -m quality_gates.policy`` prints it; a test keeps the page's copy equal to it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from quality_gates.policy.model import ROOT, Policy, sections, settings
from quality_gates.policy.setting import flag_of, spec_of


def keys_table() -> str:
    """One Markdown table per table of the policy: key, type, default, flag, meaning."""
    parts = [_table(ROOT, "", Policy)]
    parts += [_table(f"{ROOT}.{name}", name, kind) for name, kind in sections().items()]
    return "\n".join(parts)


def _table(title: str, section: str, kind: type[Any]) -> str:
    rows = [
        f"### `[{title}]`",
        "",
        "| key | type | default | flag | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for field in settings(kind):
        flag = flag_of(section, field)
        rows.append(
            f"| `{field.name}` | `{field.type}` | {_default(field)} | "
            f"{f'`{flag}`' if flag else ''} | {_cell(spec_of(field).help)} |"
        )
    return "\n".join(rows) + "\n"


def _default(field: dataclasses.Field[Any]) -> str:
    value = field.default
    if value in ("", ()):
        return "(none)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        return ", ".join(f"`{item}`" for item in value)
    return f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
