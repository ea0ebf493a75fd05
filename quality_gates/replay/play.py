"""What one account does on one server, and what each request is expected to do.

In order: the tokens the baseline issued before the deploy (``me-old-token``,
``refresh-old-token``), a wrong password, the right one as the user typed it at registration,
the e-mail in capitals or with surrounding spaces (``Account.variants``: alternately through
each segment, both for the e-mail segments), then ``me``, ``refresh`` and ``logout`` with the
tokens of that login. After a logout that succeeded, the same access and refresh token
again (``me-after-logout``, ``refresh-after-logout``): a session that was ended must stay
ended. Locked and disabled accounts only try the passwords, and the right one must be
refused too. The rollback check is one more login, on the baseline restarted on the
candidate's database.
"""

from __future__ import annotations

from dataclasses import dataclass

from quality_gates.replay.client import Api, Result
from quality_gates.replay.population import Account
from quality_gates.replay.races import RACE_KINDS
from quality_gates.replay.skew import CROSS_KIND

#: Every request kind, in the order they are played (and reported).
KINDS = (
    "me-old-token",
    "refresh-old-token",
    "login-wrong",
    "login",
    "login-case",
    "login-whitespace",
    "me",
    "refresh",
    "logout",
    "me-after-logout",
    "refresh-after-logout",
    "rollback-login",
)
#: What the report counts: the requests, then the races of the raced accounts (``races``) and
#: their cross-version token check (``skew``).
REPORTED_KINDS = (*KINDS, *RACE_KINDS, CROSS_KIND)
#: Kinds that are a password login (the headline says "fails login" for these).
LOGIN_KINDS = frozenset({"login", "login-case", "login-whitespace", "rollback-login"})
#: Kinds that must be refused whoever plays them: a wrong password, a revoked session's tokens.
REFUSED_KINDS = frozenset({"login-wrong", "me-after-logout", "refresh-after-logout"})


@dataclass(frozen=True)
class OldTokens:
    """An access and a refresh token the baseline issued while seeding."""

    access: str
    refresh: str | None


def must_succeed(account: Account, kind: str) -> bool:
    """Whether ``kind`` must succeed for ``account`` (else it must be refused)."""
    if kind in REFUSED_KINDS:
        return False
    return account.segment.can_log_in


async def play(api: Api, account: Account, old: OldTokens | None) -> dict[str, Result]:
    """Play ``account``'s requests on one server; each kind maps to its result."""
    results: dict[str, Result] = {}
    if old is not None:
        results["me-old-token"] = await api.me(old.access)
        if api.has_refresh and old.refresh is not None:
            results["refresh-old-token"] = await api.refresh(old.refresh)
    results["login-wrong"] = await api.login(account.email, account.wrong_password)
    login = await api.login(account.email, account.password)
    results["login"] = login
    if not account.segment.can_log_in:
        return results
    if "login-case" in account.variants:
        results["login-case"] = await api.login(account.case_variant, account.password)
    if "login-whitespace" in account.variants:
        results["login-whitespace"] = await api.login(account.whitespace_variant, account.password)
    if login.outcome != "success" or login.access is None:
        return results  # nothing to use: the login itself is the finding
    results["me"] = await api.me(login.access)
    access, refresh = login.access, login.refresh
    if api.has_refresh and refresh is not None:
        refreshed = await api.refresh(refresh)
        results["refresh"] = refreshed
        if refreshed.outcome == "success":
            access, refresh = refreshed.access or access, refreshed.refresh
    if api.has_logout:
        results["logout"] = await api.logout(access, refresh)
        if results["logout"].outcome == "success":
            results["me-after-logout"] = await api.me(access)
            if api.has_refresh and refresh is not None:
                results["refresh-after-logout"] = await api.refresh(refresh)
    return results
