"""Postmortems: Markdown files whose YAML front matter names the incident and its guards.

::

    ---
    id: INC-2024-05-25
    date: 2024-05-25
    summary: login failed for about 60% of users for an hour after an update
    tests:
      - tests/unit/test_passwords.py::test_legacy_hash_still_verifies
    ---

``tests`` may be empty when tests carry ``@pytest.mark.incident("INC-2024-05-25")`` instead.
Other keys are allowed (authors, severity...). ``README.md`` and files starting with ``_`` are
not postmortems.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from quality_gates import validate as v
from quality_gates.result import Finding

_FIELDS: dict[str, v.Converter] = {
    "id": lambda value: v.text(str(value)) if isinstance(value, str | int) else v.text(value),
    "date": v.date,
    "summary": v.text,
    "tests": lambda value: () if value is None or value == [] else v.string_list(value),
}


@dataclass(frozen=True)
class Postmortem:
    """One incident."""

    id: str
    date: dt.date
    summary: str
    tests: tuple[str, ...]
    path: str


def _front_matter(text: str) -> str | None:
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        return None
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "\n".join(lines[1:index])
    return None


def _parse(path: Path, shown: str) -> tuple[Postmortem | None, list[Finding]]:
    try:
        front = _front_matter(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Finding(f"unreadable: {exc}", path=shown, rule_id="postmortem-invalid")]
    if front is None:
        return None, [
            Finding(
                "no YAML front matter (a block between '---' lines at the top)",
                path=shown,
                line=1,
                rule_id="postmortem-invalid",
            )
        ]
    try:
        data = yaml.safe_load(front)
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", 0) + 2
        return None, [
            Finding(
                f"front matter is not valid YAML: {exc}",
                path=shown,
                line=line,
                rule_id="postmortem-invalid",
            )
        ]
    if not isinstance(data, dict):
        return None, [
            Finding(
                "front matter is not a mapping", path=shown, line=2, rule_id="postmortem-invalid"
            )
        ]
    problems: list[str] = []
    known = {key: value for key, value in data.items() if key in _FIELDS}
    values = v.check_table(
        known, "front matter", _FIELDS, problems, required=("id", "date", "summary")
    )
    if problems:
        return None, [
            Finding(p, path=shown, line=1, rule_id="postmortem-invalid") for p in problems
        ]
    return Postmortem(
        path=shown,
        tests=values.get("tests", ()),
        **{key: values[key] for key in ("id", "date", "summary")},
    ), []


def load_postmortems(repo: Path, directory: str) -> tuple[list[Postmortem], list[Finding]]:
    """Every postmortem in ``directory``, and the problems of those that could not be read."""
    folder = repo / directory
    postmortems: list[Postmortem] = []
    findings: list[Finding] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        if path.name.lower() == "readme.md" or path.name.startswith("_"):
            continue
        shown = path.relative_to(repo).as_posix()
        postmortem, problems = _parse(path, shown)
        findings += problems
        if postmortem is None:
            continue
        if postmortem.id in seen:
            findings.append(
                Finding(
                    f"duplicate incident id {postmortem.id!r} (also in {seen[postmortem.id]})",
                    path=shown,
                    line=1,
                    rule_id="postmortem-invalid",
                )
            )
            continue
        seen[postmortem.id] = shown
        postmortems.append(postmortem)
    return postmortems, findings
