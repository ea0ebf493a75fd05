"""One declaration per setting: its TOML key, type, default, help and command-line flag.

A section is a frozen dataclass whose fields are made with :func:`setting`; the field name is
the TOML key, the annotation its type, and the metadata a :class:`Spec`. The loader, the flags
of ``quality-gates`` and the table of keys in docs/policy.md are all derived from these, so a
setting is named in exactly one place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from quality_gates import validate as v

#: Checks a nested value with precise key paths: ``(value, keypath, problems) -> converted``.
Nested = Callable[[object, str, list[str]], object]


@dataclass(frozen=True)
class Alias:
    """A deprecated spelling of a flag: hidden from ``--help``, warns when used.

    ``const`` makes it a switch that sets that value (``--aa`` for ``--replay-mode aa``).
    """

    flag: str
    const: str | None = None


@dataclass(frozen=True)
class Spec:
    """What a setting's field carries besides its name, type and default."""

    convert: v.Converter
    help: str
    #: The flag; ``None`` derives ``--<section>-<key>``; ``""`` means no flag.
    flag: str | None = ""
    metavar: str = "VALUE"
    #: How a flag's text is read before ``convert`` checks it (``int``, ``float``, ``str``).
    read: Callable[[str], object] = str
    choices: tuple[str, ...] = ()
    aliases: tuple[Alias, ...] = ()
    nested: Nested | None = None


def setting(
    default: Any,
    convert: v.Converter,
    help: str,  # noqa: A002 - argparse's word for it
    *,
    flag: str | None = "",
    metavar: str = "VALUE",
    read: Callable[[str], object] = str,
    aliases: tuple[Alias, ...] = (),
    nested: Nested | None = None,
) -> Any:
    """A field of a policy section (``flag=None``: derive the flag from the key)."""
    spec = Spec(convert, help, flag, metavar, read, (), aliases, nested)
    return dataclasses.field(default=default, metadata={"spec": spec})


def choice(
    default: str,
    choices: tuple[str, ...],
    help: str,  # noqa: A002 - argparse's word for it
    *,
    flag: str | None = "",
    aliases: tuple[Alias, ...] = (),
) -> Any:
    """A field whose value is one of ``choices``; its flag offers them in ``--help``."""
    spec = Spec(v.one_of(*choices), help, flag, "", str, choices, aliases)
    return dataclasses.field(default=default, metadata={"spec": spec})


def nested(default: Any, check: Nested, help: str) -> Any:  # noqa: A002
    """A field whose value is checked piece by piece (a list of tables); it has no flag."""
    spec = Spec(_whole, help, nested=check)
    return dataclasses.field(default=default, metadata={"spec": spec})


def _whole(value: object) -> object:
    return value  # never called: ``nested`` checks the value


def spec_of(field: dataclasses.Field[Any]) -> Spec:
    """The declaration of ``field`` (every field of a section has one)."""
    spec = field.metadata.get("spec")
    if not isinstance(spec, Spec):
        raise TypeError(f"policy field {field.name!r} is not declared with setting()")
    return spec


def flag_of(section: str, field: dataclasses.Field[Any]) -> str:
    """The flag of a setting, ``""`` when it has none.

    Derived flags are ``--<section>-<key>``, with a key that already starts with the section's
    name not repeating it (``canary.canary_url`` is ``--canary-url``).
    """
    flag = spec_of(field).flag
    if flag is not None:
        return flag
    key = field.name
    if section and not key.startswith(section + "_"):
        key = f"{section}_{key}"
    return "--" + key.replace("_", "-")
