"""Loading and validating a target profile into the model of ``quality_gates.profile.model``.

Every problem is reported with its key path, unknown keys included (with a "did you mean"
hint), so one run shows everything wrong with a profile.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from quality_gates import validate as v
from quality_gates.errors import InputError
from quality_gates.profile.lockout import parse_lockout, parse_races, positive_int, statuses
from quality_gates.profile.model import (
    ENDPOINT_FIELDS,
    HOOK_PLACEHOLDERS,
    LAUNCH_PLACEHOLDERS,
    METHODS,
    OPTIONAL_PLACEHOLDER_HOOKS,
    PLACEHOLDER,
    REQUIRED_ENDPOINTS,
    SEED_HASH_SCHEMES,
    Claims,
    Counters,
    Endpoint,
    Hooks,
    Launch,
    TargetProfile,
    Timing,
    Tokens,
)

_COOKIE = re.compile(r"cookie:([!#$%&'*+.^_`|~0-9A-Za-z-]+)\Z")
_SELECTOR = re.compile(r'[A-Za-z_:][A-Za-z0-9_:]*(\{\s*([A-Za-z_]\w*="[^"]*"\s*,?\s*)*\})?\Z')


def _selector(value: object) -> str:
    text = v.string(value).strip()
    if text and not _SELECTOR.match(text):
        raise v.Invalid('a counter selector: name or name{label="value",...}')
    return text


def _path(value: object) -> str:
    text = v.string(value)
    if not text.startswith("/"):
        raise v.Invalid("a path starting with /")
    return text


_COUNTERS: dict[str, v.Converter] = {"path": _path, "rehashes": _selector}
# An HTTP token (RFC 9110), which is what a Server-Timing metric name is.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")


def _metric_name(value: object) -> str:
    text = v.string(value)
    if not _TOKEN.match(text):
        raise v.Invalid('a Server-Timing metric name, an HTTP token such as "app"')
    return text


_TIMING: dict[str, v.Converter] = {"server_metric": _metric_name}
_DOTTED = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\Z")


def load_profile(path: str | Path) -> TargetProfile:
    """Read and validate the profile at ``path``; raises ``InputError`` listing every problem."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such profile file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the profile: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML: {exc}") from None
    return parse_profile(document, source=path)


def parse_profile(document: Mapping[str, Any], *, source: Path | None = None) -> TargetProfile:
    """Validate an already parsed profile document (see ``load_profile``)."""
    problems: list[str] = []
    sections = (
        *("target", "endpoints", "tokens", "claims", "hooks", "launch", "races"),
        *("counters", "timing"),
    )
    problems.extend(
        v.unknown_key("profile", key, list(sections)).removeprefix("profile.")
        for key in document
        if key not in sections
    )
    tables = {name: _table(document, name, problems) for name in sections}
    for name in ("target", "endpoints", "tokens"):
        if name not in document:
            problems.append(f"{name}: missing (required section)")
    target = v.check_table(tables["target"], "target", _TARGET, problems, required=("name",))
    encoding = target.get("encoding", "json")
    endpoints = _endpoints(tables["endpoints"], encoding, problems)
    tokens = _tokens(tables["tokens"], problems, required="tokens" in document)
    claims = _claims(tables["claims"], problems)
    hooks = _hooks(tables["hooks"], problems)
    launch = _launch(tables["launch"], problems) if "launch" in document else None
    races = parse_races(tables["races"], problems)
    counters = Counters(**v.check_table(tables["counters"], "counters", _COUNTERS, problems))
    timing = Timing(**v.check_table(tables["timing"], "timing", _TIMING, problems))
    _cross_checks(endpoints, tokens, claims, problems)
    if problems:
        raise InputError(problems)
    return TargetProfile(
        name=target["name"],
        base_url=target.get("base_url"),
        encoding=encoding,
        endpoints=MappingProxyType(endpoints),
        tokens=tokens,
        claims=claims,
        hooks=hooks,
        launch=launch,
        races=races,
        counters=counters,
        timing=timing,
        source=source,
    )


def _table(document: Mapping[str, Any], name: str, problems: list[str]) -> Mapping[str, Any]:
    raw = document.get(name, {})
    if isinstance(raw, Mapping):
        return raw
    problems.append(f"{name}: expected a table, got {v.describe(raw)}")
    return {}


def _http_url(value: object) -> str:
    text = v.text(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise v.Invalid("an http:// or https:// URL with a host")
    return text.rstrip("/")


def _url_path(value: object) -> str:
    if not isinstance(value, str) or not value.startswith("/") or any(c in value for c in " ?#"):
        raise v.Invalid('a path starting with "/", without query or fragment')
    return value


def _method(value: object) -> str:
    if not isinstance(value, str) or value.upper() not in METHODS:
        raise v.Invalid("an HTTP method: " + ", ".join(METHODS))
    return value.upper()


def _string_map(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(s, str) for k, s in value.items()
    ):
        raise v.Invalid("a table of strings")
    return dict(value)


def _token_location(value: object) -> str:
    if not isinstance(value, str) or not (_COOKIE.match(value) or _DOTTED.match(value)):
        raise v.Invalid('a dotted path into the JSON body ("data.access_token") or "cookie:NAME"')
    return value


def _send(value: object) -> str:
    if value != "bearer" and not (isinstance(value, str) and _COOKIE.match(value)):
        raise v.Invalid('"bearer" or "cookie:NAME"')
    assert isinstance(value, str)  # noqa: S101 - narrowed above
    return value


_ENCODING = v.one_of("json", "form")
_TARGET: dict[str, v.Converter] = {"name": v.text, "base_url": _http_url, "encoding": _ENCODING}
_ENDPOINT: dict[str, v.Converter] = {
    "method": _method,
    "path": _url_path,
    "fields": _string_map,
    "success": statuses,
    "encoding": _ENCODING,
}


def _endpoints(table: Mapping[str, Any], encoding: str, problems: list[str]) -> dict[str, Endpoint]:
    endpoints: dict[str, Endpoint] = {}
    for name, raw in table.items():
        key = f"endpoints.{name}"
        if name not in ENDPOINT_FIELDS:
            problems.append(v.unknown_key("endpoints", name, list(ENDPOINT_FIELDS)))
            continue
        if not isinstance(raw, Mapping):
            problems.append(f"{key}: expected a table, got {v.describe(raw)}")
            continue
        values = v.check_table(raw, key, _ENDPOINT, problems, required=("method", "path"))
        fields = values.get("fields", {})
        for framework_name in fields:
            if framework_name not in ENDPOINT_FIELDS[name]:
                known = list(ENDPOINT_FIELDS[name])
                problems.append(v.unknown_key(f"{key}.fields", framework_name, known))
        if "method" in values and "path" in values:
            endpoints[name] = Endpoint(
                name=name,
                method=values["method"],
                path=values["path"],
                success=values.get("success", (200,)),
                encoding=values.get("encoding", encoding),
                fields=MappingProxyType(fields),
            )
    problems.extend(
        f"endpoints.{name}: missing (required endpoint)"
        for name in REQUIRED_ENDPOINTS
        if name not in table
    )
    return endpoints


def _tokens(table: Mapping[str, Any], problems: list[str], *, required: bool) -> Tokens:
    fields: dict[str, v.Converter] = {
        "access": _token_location,
        "refresh": _token_location,
        "send": _send,
    }
    values = v.check_table(
        table, "tokens", fields, problems, required=("access",) if required else ()
    )
    return Tokens(values.get("access", ""), values.get("refresh"), values.get("send", "bearer"))


_BOOL_CLAIMS = (
    "refresh_rotation",
    "refresh_reuse_revokes_family",
    "revoke_on_logout",
    "password_change_revokes_sessions",
    "hides_account_existence",
    "registration_hides_existence",
    "legacy_hash_upgrade",
    "identifier_canonicalisation",
    "password_blocklist",
    "password_normalisation",
    "strict_content_type",
)
_INT_CLAIMS = (
    "min_password_length",
    "max_password_length",
    "max_body_bytes",
    "access_ttl_seconds",
    "session_lifetime_seconds",
)
_CLAIMS: dict[str, v.Converter] = {
    **dict.fromkeys(_BOOL_CLAIMS, v.boolean),
    **dict.fromkeys(_INT_CLAIMS, positive_int),
    "leeway_seconds": v.non_negative_int,
}


def _claims(table: Mapping[str, Any], problems: list[str]) -> Claims:
    simple = {key: value for key, value in table.items() if key != "lockout"}
    # "lockout" is listed only so a misspelt key still gets "did you mean lockout?".
    values = v.check_table(simple, "claims", {**_CLAIMS, "lockout": v.boolean}, problems)
    if "lockout" in table:
        values["lockout"] = parse_lockout(table["lockout"], problems)
    return Claims(**values)


def _template(allowed: tuple[str, ...]) -> v.Converter:
    def convert(value: object) -> tuple[str, ...]:
        parts: tuple[str, ...] = v.command(value)
        unknown = sorted({m for p in parts for m in PLACEHOLDER.findall(p)} - set(allowed))
        if unknown:
            names = ", ".join("{" + name + "}" for name in unknown)
            raise v.Invalid(f"a command using only {_braced(allowed)} (unknown: {names})")
        return parts

    return convert


def _braced(names: tuple[str, ...]) -> str:
    return ", ".join("{" + name + "}" for name in names) or "no placeholders"


def _hooks(table: Mapping[str, Any], problems: list[str]) -> Hooks:
    fields: dict[str, v.Converter] = {
        name: _template(allowed) for name, allowed in HOOK_PLACEHOLDERS.items()
    }
    fields |= {
        "clock_offset_file": v.text,
        "seed_hash_scheme": v.one_of(*SEED_HASH_SCHEMES),
        "jwt_key": v.text,
        "env": _string_map,
        "timeout_seconds": v.positive_number,
    }
    values = v.check_table(table, "hooks", fields, problems)
    for name, allowed in HOOK_PLACEHOLDERS.items():
        if name in OPTIONAL_PLACEHOLDER_HOOKS:
            continue
        needed = "{" + allowed[0] + "}"
        if name in values and not any(needed in part for part in values[name]):
            problems.append(f"hooks.{name}: the command must contain {needed}")
    if "env" in values:
        values["env"] = MappingProxyType(values["env"])
    return Hooks(**values)


def _launch(table: Mapping[str, Any], problems: list[str]) -> Launch | None:
    fields: dict[str, v.Converter] = {
        "command": _template(LAUNCH_PLACEHOLDERS),
        "migrate": _template(LAUNCH_PLACEHOLDERS),
        "ready_path": _url_path,
        "env": _string_map,
        "ready_timeout_seconds": v.positive_number,
    }
    values = v.check_table(table, "launch", fields, problems, required=("command",))
    for key, raw in values.get("env", {}).items():
        unknown = sorted(set(PLACEHOLDER.findall(raw)) - set(LAUNCH_PLACEHOLDERS))
        if unknown:
            problems.append(
                f"launch.env.{key}: unknown placeholder {_braced(tuple(unknown))} "
                f"(known: {_braced(LAUNCH_PLACEHOLDERS)})"
            )
    if "command" not in values:
        return None
    values["env"] = MappingProxyType(values.get("env", {}))
    return Launch(**values)


def _cross_checks(
    endpoints: Mapping[str, Endpoint], tokens: Tokens, claims: Claims, problems: list[str]
) -> None:
    """A claim that names a feature the profile does not describe is a mistake, not a skip."""
    needs = {
        "refresh_rotation": ("refresh",),
        "refresh_reuse_revokes_family": ("refresh",),
        "revoke_on_logout": ("logout",),
        "password_change_revokes_sessions": ("change_password",),
    }
    for claim, names in needs.items():
        for name in names:
            if getattr(claims, claim) and name not in endpoints:
                problems.append(f"claims.{claim}: needs [endpoints.{name}]")
    if "refresh" in endpoints and tokens.access and tokens.refresh is None:
        problems.append("tokens.refresh: missing (required when [endpoints.refresh] is given)")
    if (
        claims.min_password_length is not None
        and claims.max_password_length is not None
        and claims.min_password_length > claims.max_password_length
    ):
        problems.append("claims.min_password_length: greater than claims.max_password_length")
