"""The zoo's entries: ``<slug>.patch`` and ``<slug>.toml`` in one directory, validated.

Every key of every metadata file is checked, and every problem is collected before anything
runs: :func:`load_zoo` raises :class:`ZooInputError` with one ``file: key: problem`` line each.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from bugzoo.names import KINDS, NOT_RUN, STAGES, Kind

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_URL = re.compile(r"https?://[^\s<>\"]+\Z")


class ZooInputError(Exception):
    """Bad input (exit 2): one message per problem, printed one a line, never a traceback."""

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems: tuple[str, ...] = (
            (problems,) if isinstance(problems, str) else tuple(problems)
        )
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class PatchSpec:
    """One entry of the zoo: the patch file and what its metadata says about it."""

    slug: str
    patch: Path
    title: str
    kind: Kind
    bug_class: str
    hits: str
    share: str
    precedent: str
    expected_gates: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """The metadata as JSON-ready data (the patch path relative to nothing: its name)."""
        return {
            "slug": self.slug,
            "patch": self.patch.name,
            "title": self.title,
            "kind": self.kind,
            "bug_class": self.bug_class,
            "hits": self.hits,
            "share": self.share,
            "precedent": self.precedent,
            "expected_gates": list(self.expected_gates),
        }


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


_KEYS: dict[str, tuple[Callable[[object], bool], str]] = {
    "title": (_is_str, "a string"),
    "kind": (_is_str, "a string"),
    "bug_class": (_is_str, "a string"),
    "hits": (_is_str, "a string"),
    "share": (_is_str, "a string"),
    "precedent": (_is_str, "a string"),
    "expected_gates": (_is_str_list, "a list of strings"),
}


#: The keys of a metadata file, all required.
METADATA_KEYS = tuple(_KEYS)


def _type_name(value: object) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", list: "a list"}.get(
        type(value), type(value).__name__
    )


def check_metadata(data: Mapping[str, object]) -> list[str]:
    """Every problem of one metadata table, as ``key: problem`` (empty when it is valid)."""
    problems = [
        f"{key}: unknown key (expected one of {', '.join(_KEYS)})"
        for key in data
        if key not in _KEYS
    ]
    for key, (valid, expected) in _KEYS.items():
        if key not in data:
            problems.append(f"{key}: missing")
        elif not valid(data[key]):
            problems.append(f"{key}: expected {expected}, got {_type_name(data[key])}")
    if problems:
        return problems
    values = cast("dict[str, str]", {k: v for k, v in data.items() if k != "expected_gates"})
    gates = cast("list[str]", data["expected_gates"])
    return _check_values(values, gates)


def _check_values(values: Mapping[str, str], gates: list[str]) -> list[str]:
    problems = []
    if not values["title"].strip():
        problems.append("title: must not be empty")
    kind = values["kind"]
    if kind not in KINDS:
        problems.append(f"kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    if not SLUG.match(values["bug_class"]):
        problems.append(
            f"bug_class: expected a short kebab-case class, got {values['bug_class']!r}"
        )
    precedent = values["precedent"]
    if precedent and not _URL.match(precedent):
        problems.append(f'precedent: expected an http(s) URL or "", got {precedent!r}')
    for gate in gates:
        if gate not in STAGES:
            why = f" ({NOT_RUN[gate]})" if gate in NOT_RUN else ""
            problems.append(
                f"expected_gates: unknown gate {gate!r}{why}; the stages are {', '.join(STAGES)}"
            )
    if len(set(gates)) != len(gates):
        problems.append("expected_gates: a gate is listed twice")
    if kind == "bug":
        problems += [
            f"{key}: must say it for a bug" for key in ("hits", "share") if not values[key]
        ]
        if not gates:
            problems.append("expected_gates: a bug must name the gates expected to block it")
    elif kind == "benign":
        problems += [
            f"{key}: must be empty for a benign patch" for key in ("hits", "share") if values[key]
        ]
        if gates:
            problems.append("expected_gates: must be [] for a benign patch")
    return problems


def load_spec(patch: Path) -> PatchSpec:
    """The entry of ``patch`` (``<slug>.patch``), from its ``<slug>.toml``."""
    meta = patch.with_suffix(".toml")
    try:
        data = tomllib.loads(meta.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ZooInputError(f"{meta}: missing (every patch needs its metadata)") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ZooInputError(f"{meta}: not valid TOML: {exc}") from None
    if not SLUG.match(patch.stem):
        problem = f"file name: the slug {patch.stem!r} is not kebab-case"
        raise ZooInputError([f"{meta}: {problem}", *(f"{meta}: {p}" for p in check_metadata(data))])
    return spec_from(patch.stem, patch, data, where=str(meta))


def spec_from(slug: str, patch: Path, data: Mapping[str, Any], *, where: str) -> PatchSpec:
    """The entry ``data`` describes; :class:`ZooInputError` with every problem, after ``where``."""
    if problems := check_metadata(data):
        raise ZooInputError(f"{where}: {problem}" for problem in problems)
    return PatchSpec(
        slug=slug,
        patch=patch,
        title=data["title"].strip(),
        kind=data["kind"],
        bug_class=data["bug_class"],
        hits=data["hits"],
        share=data["share"],
        precedent=data["precedent"],
        expected_gates=tuple(data["expected_gates"]),
    )


def load_zoo(directory: Path, only: Iterable[str] = ()) -> list[PatchSpec]:
    """Every entry of ``directory`` in slug order (or only the ``only`` slugs), all valid.

    Raises :class:`ZooInputError` listing every problem: invalid metadata, metadata without
    a patch, an empty directory, an unknown slug in ``only``.
    """
    if not directory.is_dir():
        raise ZooInputError(f"{directory}: no such directory")
    patches = sorted(directory.glob("*.patch"))
    problems = [
        f"{meta}: no {meta.stem}.patch next to it"
        for meta in sorted(directory.glob("*.toml"))
        if not meta.with_suffix(".patch").is_file()
    ]
    wanted = list(dict.fromkeys(only))
    known = {patch.stem for patch in patches}
    problems += [
        f"--only {slug}: no {slug}.patch in {directory}" for slug in wanted if slug not in known
    ]
    if not patches:
        problems.append(f"{directory}: no *.patch files")
    specs = []
    for patch in patches:
        if wanted and patch.stem not in wanted:
            continue
        try:
            specs.append(load_spec(patch))
        except ZooInputError as exc:
            problems += exc.problems
    if problems:
        raise ZooInputError(problems)
    return specs
