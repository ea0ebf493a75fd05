"""Races on one account: requests a user's devices send at the same moment.

The replay otherwise plays each account one request at a time, so a write that two requests
make at once (the hash upgraded on an imported account's first login, a refresh token rotated,
a session ended while another starts) is never contended. For the first account and a seeded
share of the others of every imported-hash segment that can log in, each version first plays
four races, each request of a race released together by a barrier:

``race-first-login``
    ``FIRST_LOGINS`` first logins at once (each may upgrade the imported hash): all succeed.
``race-refresh``
    one refresh token presented twice at once: exactly one success, the other refused (a
    refresh token is spent once; its reuse may revoke the session).
``race-login-logout``
    a login while another session of the account logs out: both succeed.
``race-login-password``
    a login with the current password while a session (the one the previous race's login
    opened) changes it: the change succeeds, the
    login succeeds or is refused (it may land after the change), never an error; then the
    new password logs in and the old one is set back, so the rest of the replay is unchanged.

Each race becomes one result of its kind: ``success`` when every rule of the race held, else
``error`` with the outcomes in the detail. The tally then pairs it like any request: a race
that holds on the baseline and breaks on the candidate is a regression. Within the allowed
set any order of outcomes is right, so the race's own nondeterminism never tells the versions
apart.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Sequence

from quality_gates.replay.client import Api, Result
from quality_gates.replay.population import Account

#: The race kinds, in the order they are played (and reported).
RACE_FIRST_LOGIN = "race-first-login"
RACE_KINDS = (RACE_FIRST_LOGIN, "race-refresh", "race-login-logout", "race-login-password")
#: First logins sent at once: two both read the stale hash before either upgrades it, which is
#: the contention; their sessions serve the refresh and logout races that follow.
FIRST_LOGINS = 2
#: The default share of raced accounts in each imported-hash segment (policy ``races``).
DEFAULT_SHARE = 0.10


def raced(account: Account, share: float) -> bool:
    """Whether ``account`` plays the races: the same on both versions.

    The first account of each imported segment always does (rank 0), so a segment sampled at
    a few accounts (a costly hash setting) is raced too; the others by a seeded draw.
    """
    segment = account.segment
    if share <= 0 or segment.source != "import" or not segment.can_log_in:
        return False
    if account.rank == 0:
        return True
    digest = hashlib.blake2b(f"race:{account.seed}:{account.index}".encode(), digest_size=8)
    return int.from_bytes(digest.digest()) / 2**64 < share


async def at_once(*calls: Callable[[], Awaitable[Result]]) -> list[Result]:
    """Run ``calls`` together: none is sent before all are ready to send."""
    barrier = asyncio.Barrier(len(calls))

    async def released(call: Callable[[], Awaitable[Result]]) -> Result:
        await barrier.wait()
        return await call()

    return list(await asyncio.gather(*(released(call) for call in calls)))


def _shown(results: Sequence[Result]) -> str:
    shown = (f"{r.outcome} ({'no answer' if r.status is None else r.status})" for r in results)
    return ", ".join(shown)


def _held(kind: str, results: Sequence[Result], broken: str) -> Result:
    """The race's result: ``success`` when its rules held, else ``error`` saying which broke."""
    if not broken:
        return Result("success", 200)
    return Result("error", None, f"{kind}: {broken}; outcomes {_shown(results)}")


def judge_first_logins(results: Sequence[Result]) -> str:
    """Every first login succeeds."""
    failed = sum(r.outcome != "success" for r in results)
    return f"{failed} of {len(results)} simultaneous first logins failed" if failed else ""


def judge_double_refresh(results: Sequence[Result]) -> str:
    """One refresh token presented twice: exactly one success, the other refused."""
    wins = sum(r.outcome == "success" for r in results)
    if wins > 1:
        return f"one refresh token succeeded {wins} times at once"
    if any(r.outcome not in ("success", "bad_credentials") for r in results):
        return "a simultaneous refresh failed instead of being refused"
    return "" if wins == 1 else "neither simultaneous refresh succeeded"


def judge_login_logout(login: Result, logout: Result) -> str:
    """A login racing another session's logout: both succeed."""
    if login.outcome != "success":
        return "the login racing a logout failed"
    return "" if logout.outcome == "success" else "the logout racing a login failed"


def judge_login_password(login: Result, change: Result, restored: Sequence[Result]) -> str:
    """The change succeeds, the racing login succeeds or is refused, the new password works."""
    if change.outcome != "success":
        return "the password change racing a login failed"
    if login.outcome not in ("success", "bad_credentials"):
        return "the login racing a password change failed instead of being refused"
    if any(r.outcome != "success" for r in restored):
        return "after the change, the new password did not log in (or could not be set back)"
    return ""


async def _password_race(api: Api, account: Account, access: str) -> Result:
    changed = f"{account.password} (changed)"  # still long enough, never the e-mail
    login, change = await at_once(
        lambda: api.login(account.email, account.password),
        lambda: api.change_password(access, account.password, changed),
    )
    restored: list[Result] = []
    if change.outcome == "success":
        again = await api.login(account.email, changed)
        restored.append(again)
        if again.outcome == "success" and again.access is not None:
            restored.append(await api.change_password(again.access, changed, account.password))
    broken = judge_login_password(login, change, restored)
    return _held("race-login-password", [login, change, *restored], broken)


async def play_races(api: Api, account: Account) -> dict[str, Result]:
    """Play the races of one account on one server, before its ordinary requests."""
    logins = await at_once(*([lambda: api.login(account.email, account.password)] * FIRST_LOGINS))
    races = {RACE_FIRST_LOGIN: _held(RACE_FIRST_LOGIN, logins, judge_first_logins(logins))}
    sessions = [r for r in logins if r.outcome == "success" and r.access is not None]
    if len(sessions) < FIRST_LOGINS:
        return races  # nothing to race with: the failed first login is the finding
    first, second = sessions
    if api.has_refresh and first.refresh is not None:
        token = first.refresh
        twice = await at_once(lambda: api.refresh(token), lambda: api.refresh(token))
        races["race-refresh"] = _held("race-refresh", twice, judge_double_refresh(twice))
    changer = second  # the session that changes the password in the last race
    if api.has_logout and second.access is not None:
        access, refresh = second.access, second.refresh
        login, logout = await at_once(
            lambda: api.login(account.email, account.password),
            lambda: api.logout(access, refresh),
        )
        broken = judge_login_logout(login, logout)
        races["race-login-logout"] = _held("race-login-logout", [login, logout], broken)
        # ``second`` is logged out now; the login that raced it is a session of its own (a
        # third first login would cost each raced account two more hashings on each version).
        changer = login
    if api.has_change_password and changer.outcome == "success" and changer.access is not None:
        races["race-login-password"] = await _password_race(api, account, changer.access)
    return races
