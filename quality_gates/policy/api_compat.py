"""``[tool.quality_gates.api_compat]``: the OpenAPI snapshot, how to generate, what fails."""

from __future__ import annotations

from dataclasses import dataclass

from quality_gates import validate as v
from quality_gates.policy.setting import Alias, choice, setting

DEFAULT_TOKEN_FIELDS = ("access_token", "refresh_token", "id_token", "token_type", "expires_in")


@dataclass(frozen=True)
class ApiCompatPolicy:
    """``[tool.quality_gates.api_compat]``."""

    snapshot: str = setting(
        "",
        v.string,
        "committed OpenAPI snapshot",
        flag=None,
        metavar="PATH",
        aliases=(Alias("--snapshot"),),
    )
    command: tuple[str, ...] = setting((), v.command, "command printing the OpenAPI document")
    command_timeout: float = setting(120.0, v.positive_number, "seconds the command may take")
    waivers: str = setting(
        "", v.string, "waivers file", flag=None, metavar="PATH", aliases=(Alias("--waivers"),)
    )
    fail_on: str = choice(
        "ERR",
        ("ERR", "WARN"),
        "lowest level that fails the gate",
        flag=None,
        aliases=(Alias("--fail-on"),),
    )
    token_fields: tuple[str, ...] = setting(
        DEFAULT_TOKEN_FIELDS, v.string_list, "token response fields that must not disappear"
    )
