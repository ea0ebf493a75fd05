"""Helpers shared by the conformance checks: markers, claims, skips, common checks.

The grading API every property module uses (audit by default, see ``grading.py``):

- ``claim(target, name, default=...)``: the value of claim ``name``. The check always runs:
  when the profile claims it, a violation (``AssertionError``) is a **failure**; when it does
  not, the check runs as an audit with ``default`` (``True`` for a yes/no claim) and a violation
  is an **observation**. A numeric claim with no sensible default (a body limit, a token
  lifetime) and no value is **skipped** ("needs claims.X"). A claim set explicitly to ``false``
  is the service saying it does not do this on purpose: the check is **skipped** ("disclaimed").
- ``claimed(target, name)``: whether the profile claims ``name`` (no grading side effect), for a
  check that does more when a claim is made.
- ``endpoint(target, name)`` / ``hook(target, name)``: **skipped** when the profile lacks the
  endpoint or grey-box hook the check needs; the only other reason to skip.
- ``not_run(reason)``: the check could not run for a reason found during the run (e.g. the
  client is locked out): status **not-run** with ``reason``, never a failure.
- Raise ``AssertionError`` (or use ``check_*``) for a violation. Any other exception in a check
  is the suite's own problem or the transport's, never the target's failure: it is reported as
  **error** with the exception's type and message.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

import httpx
import pytest

from quality_gates.conformance import grading
from quality_gates.conformance.client import Account, TargetClient
from quality_gates.conformance.hooks import HookUnavailableError, legacy_hash
from quality_gates.conformance.jwt import Jwt, decode
from quality_gates.conformance.target import Target

prop = pytest.mark.auth_property
#: What a stored password hash looks like, in any of the common formats.
HASH_MARKERS = re.compile(r"\$argon2(id|i|d)\$|\$2[aby]\$\d\d\$|pbkdf2_sha256\$|\$scrypt\$")

#: Headers that legitimately differ between two identical refusals.
VOLATILE_HEADERS = frozenset(
    {"date", "x-request-id", "request-id", "x-correlation-id", "traceparent", "server-timing"}
)


def skip(reason: str) -> NoReturn:
    """Skip the check with ``reason`` (shown in every report)."""
    pytest.skip(reason)


_NO_DEFAULT: Any = object()


def claimed(target: Target, name: str) -> bool:
    """Whether the profile claims ``name`` (set, and not ``false``/empty)."""
    value = getattr(target.profile.claims, name)
    return value is not None and value is not False


def claim(target: Target, name: str, default: Any = _NO_DEFAULT) -> Any:
    """The value of claim ``name`` and how a violation is graded (see the module docstring)."""
    if claimed(target, name):
        return getattr(target.profile.claims, name)
    if name in target.disclaimed:
        skip(f"disclaimed: claims.{name} = false in the {target.profile.name} profile")
    if default is _NO_DEFAULT:
        if isinstance(getattr(target.profile.claims, name), bool):
            default = True
        else:
            skip(f"needs claims.{name}: the {target.profile.name} profile gives no value")
    grading.current().unclaimed.append(name)
    return default


def not_run(reason: str) -> NoReturn:
    """Stop the check: it could not run for ``reason`` (reported as not-run, not skipped)."""
    grading.current().not_run = reason
    pytest.skip(reason)


def endpoint(target: Target, name: str) -> None:
    """Skip unless the profile describes endpoint ``name``."""
    if target.profile.endpoint(name) is None:
        skip(f"not applicable: the profile has no [endpoints.{name}]")


def hook(target: Target, name: str) -> None:
    """Skip unless grey-box hook ``name`` is configured and usable."""
    try:
        target.hooks.require(name)
    except HookUnavailableError as exc:
        skip(f"grey-box hook unavailable: {exc}")


def jwt_of(token: str | None) -> Jwt:
    """The decoded access token; skips when the target's tokens are not JWTs."""
    decoded = decode(token or "")
    if decoded is None:
        skip("not applicable: the access token is not a JWT")
    return decoded


def refused(client: TargetClient, response: httpx.Response) -> bool:
    """Whether a login response refused: not a success status and no access token."""
    return not client.ok("login", response) and client.tokens(response).access is None


def no_5xx(response: httpx.Response) -> bool:
    """Whether the target answered without a server error."""
    return response.status_code < 500


def check_refused(client: TargetClient, response: httpx.Response, what: str) -> None:
    """Fail, with the response as evidence, unless the login was refused."""
    client.decide(response)
    if not refused(client, response):
        raise AssertionError(f"{what}: logged in ({response.status_code})")


def check_logged_in(client: TargetClient, response: httpx.Response, what: str) -> None:
    """Fail, with the response as evidence, unless the login succeeded."""
    if not client.ok("login", response) or client.tokens(response).access is None:
        client.decide(response)
        raise AssertionError(f"{what}: login refused ({response.status_code})")


def check_registered(client: TargetClient, response: httpx.Response, what: str) -> None:
    """Fail unless the registration succeeded."""
    if not client.ok("register", response):
        client.decide(response)
        raise AssertionError(f"{what}: registration refused ({response.status_code})")


def check_client_error(response: httpx.Response, what: str) -> None:
    """A 4xx: the request was refused cleanly (not accepted, not a server error)."""
    if not 400 <= response.status_code < 500:
        raise AssertionError(f"{what}: got {response.status_code}, expected 4xx")


def token_rejected(client: TargetClient, token: str | None) -> httpx.Response:
    """Call ``me`` with ``token``; the returned response is the decisive evidence."""
    response = client.me(token)
    client.decide(response)
    return response


def shape(response: httpx.Response) -> tuple[int, bytes, tuple[tuple[str, str], ...]]:
    """What must not differ between refusals: status, body and the non-volatile headers."""
    headers = tuple(
        sorted(
            (k.lower(), v) for k, v in response.headers.items() if k.lower() not in VOLATILE_HEADERS
        )
    )
    return response.status_code, response.content, headers


#: What the seed hook creates, in one batch per run (each hook call starts a process): active
#: accounts with a legacy hash, and disabled ones; each test takes its own.
SEEDED = {
    "legacy-upgrade": False,
    "legacy-unchanged": False,
    "disabled-11": True,
    "disabled-12": True,
}


def seeded_account(client: TargetClient, target: Target, purpose: str) -> Account:
    """The seeded account for ``purpose`` (a key of ``SEEDED``); seeds the batch on first use."""
    hook(target, "seed_accounts")
    if not target.seeded:
        scheme = target.profile.hooks.seed_hash_scheme
        accounts = {name: Account(client.new_email(name), client.new_password()) for name in SEEDED}
        target.hooks.seed(
            [
                {
                    "email": account.email,
                    "password_hash": legacy_hash(account.password, scheme),
                    "disabled": SEEDED[name],
                }
                for name, account in accounts.items()
            ]
        )
        target.seeded.update(accounts)
    account = target.seeded[purpose]
    client.secret(account.password, "password")
    client.note(f"{account.email}: seeded with a {target.profile.hooks.seed_hash_scheme} hash")
    return account


def disabled_account(client: TargetClient, target: Target, purpose: str) -> Account | None:
    """A disabled account with a known password, from the seed or the disable hook."""
    if target.profile.hooks.seed_accounts:
        return seeded_account(client, target, purpose)
    if target.profile.hooks.disable_account:
        hook(target, "disable_account")
        account = client.account(tag="disabled")
        target.hooks.disable(account.email)
        return account
    return None
