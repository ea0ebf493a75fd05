"""Command-line flags derived from the settings' declarations.

A flag's ``dest`` is ``policy:<section>.<key>`` and its default ``None`` ("not given"), so
:func:`overrides_from` finds the overrides among parsed options whatever the command.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from quality_gates import validate as v
from quality_gates.policy.model import Policy, sections, settings
from quality_gates.policy.setting import Alias, Spec, flag_of, spec_of

OVERRIDE_PREFIX = "policy:"


def add_flags(group: argparse._ActionsContainer, section: str, *, default: object = None) -> None:
    """Add the flags of ``section`` (``""``: the top-level keys) to ``group``.

    ``default`` is what an absent flag leaves: ``None`` ("not given"), or ``argparse.SUPPRESS``
    on a subcommand, so a flag given before the subcommand survives.
    """
    kind = sections()[section] if section else Policy
    for field in settings(kind):
        flag = flag_of(section, field)
        if not flag:
            continue
        spec = spec_of(field)
        key = f"{section}.{field.name}" if section else field.name
        options = _options(spec)
        where = f"policy: {key}" + (f", default {_shown(field.default)}" if field.default else "")
        group.add_argument(
            flag,
            dest=OVERRIDE_PREFIX + key,
            default=default,
            help=f"{spec.help} ({where})".replace("%", "%%"),  # argparse formats help with %
            **options,
        )
        for alias in spec.aliases:
            _add_alias(
                group, alias, new=flag, dest=OVERRIDE_PREFIX + key, options=options, default=default
            )


def _options(spec: Spec) -> dict[str, Any]:
    """How argparse reads the flag: one of its choices, or text the key's converter checks."""
    if spec.choices:
        return {"choices": spec.choices}
    return {"metavar": spec.metavar, "type": v.argument(spec.convert, spec.read)}


def _shown(value: object) -> str:
    return " ".join(value) if isinstance(value, tuple) else str(value)


class _Deprecated(argparse.Action):
    """An old spelling: warns once on stderr, then stores like the new flag."""

    def __init__(self, *args: Any, new: str, value: str | None = None, **kwargs: Any) -> None:
        if value is not None:
            kwargs["nargs"] = 0
        super().__init__(*args, **kwargs)
        self.new = new
        self.value = value

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        del parser
        use = f"{self.new} {self.value}" if self.value is not None else self.new
        sys.stderr.write(f"quality-gates: warning: {option_string} is deprecated, use {use}\n")
        setattr(namespace, self.dest, self.value if self.value is not None else values)


def _add_alias(
    group: argparse._ActionsContainer,
    alias: Alias,
    *,
    new: str,
    dest: str,
    options: dict[str, Any],
    default: object,
) -> None:
    extra: dict[str, Any] = {} if alias.const is not None else dict(options)
    group.add_argument(
        alias.flag,
        dest=dest,
        default=default,
        action=_Deprecated,
        new=new,
        value=alias.const,
        help=argparse.SUPPRESS,
        **extra,
    )


def overrides_from(namespace: Mapping[str, object]) -> dict[str, object]:
    """The policy overrides among parsed command-line options (``vars(args)``)."""
    return {
        key.removeprefix(OVERRIDE_PREFIX): value
        for key, value in namespace.items()
        if key.startswith(OVERRIDE_PREFIX)
    }
