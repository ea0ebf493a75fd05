"""Clock skew: the candidate runs with its clock offset from the baseline's.

In a fleet, the node that issues a token and the node that checks it never agree exactly on
the time; a service tolerates that with a leeway on its time claims. The replay runs the
candidate's processes under libfaketime (``LD_PRELOAD``, a fixed ``FAKETIME`` offset), which
works for any service without its cooperation: every ``time()``/``clock_gettime(REALTIME)``
of the process and of its children is shifted, the monotonic clock is left alone (timeouts
and event loops keep their pace). The tokens the baseline issued while seeding are then used
on a candidate whose clock is behind (they look issued in its future) or ahead (older), and
the rollback baseline reads what the skewed candidate wrote. For the accounts that play the
races, a node running the baseline's code on the candidate's database and the real clock (the
*peer*) and the candidate each accept an access token the other has just issued
(``me-cross``): with the candidate behind, the peer's token is from the candidate's future.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from quality_gates.replay.client import Api, Result
from quality_gates.replay.population import Account

#: Where Debian/Ubuntu (``apt-get install faketime``) and a source build put the library.
LIBRARY_PATHS = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
    "/usr/local/lib/faketime/libfaketime.so.1",
)
#: The default offset, seconds: the candidate 20 s behind, inside a typical 30 s leeway.
DEFAULT_SKEW = -20
#: The bound of the ``clock_skew`` key: RFC 7519 leeways are "a few minutes" at most.
MAX_SKEW = 300


class SkewUnavailableError(Exception):
    """Skew was asked for and libfaketime is not installed."""


def find_library(environ: Mapping[str, str] = os.environ) -> str | None:
    """libfaketime's path (``QG_FAKETIME_LIB`` first), or ``None`` when it is not installed."""
    candidates = [environ["QG_FAKETIME_LIB"]] if environ.get("QG_FAKETIME_LIB") else []
    return next((p for p in [*candidates, *LIBRARY_PATHS] if Path(p).is_file()), None)


def clock_env(seconds: int, library: str) -> dict[str, str]:
    """The environment that runs a process ``seconds`` ahead (negative: behind) of real time."""
    return {
        "LD_PRELOAD": library,
        "FAKETIME": f"{seconds:+d}s",
        "DONT_FAKE_MONOTONIC": "1",  # event loops and timeouts keep real time
        # libfaketime's wrapper of condition-variable waits (the "monotonic fix") slows a
        # threaded server 2-3x under concurrent requests (measured: 8 logins at once on
        # authsvc, median 45-56 ms against 15-23 ms); the offset works without it.
        "FAKETIME_FORCE_MONOTONIC_FIX": "0",
    }


def candidate_env(seconds: int, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The candidate's extra environment for ``seconds`` of skew (``{}`` for none).

    Raises :class:`SkewUnavailableError` when libfaketime is missing.
    """
    if seconds == 0:
        return {}
    library = find_library(environ)
    if library is None:
        raise SkewUnavailableError(
            "clock skew needs libfaketime (apt-get install faketime, or set QG_FAKETIME_LIB)"
        )
    return clock_env(seconds, library)


def control_env(candidate: Mapping[str, str]) -> dict[str, str]:
    """The baseline's environment beside a skewed candidate: the same libfaketime at +0 s.

    Whatever libfaketime costs a request (little, with the settings of :func:`clock_env`; with
    its defaults an A/A replay had the skewed side 3-6 times slower on every request kind),
    the cost rule would otherwise judge the interposer rather than the change. Preloaded on
    both sides, it weighs alike on each pair; only the offset differs.
    """
    if "FAKETIME" not in candidate:
        return {}
    return {**candidate, "FAKETIME": "+0s"}


#: The request kind of the cross-version check: fresh access tokens between two nodes.
CROSS_KIND = "me-cross"


async def _fresh_token(api: Api, account: Account) -> str | None:
    login = await api.login(account.email, account.password)
    return login.access if login.outcome == "success" else None


async def _checked(issuer: Api, checker: Api, account: Account) -> Result | None:
    """``checker``'s answer to an access token ``issuer`` has just issued (``None``: no login)."""
    token = await _fresh_token(issuer, account)
    return None if token is None else await checker.me(token)


def _both(kind: str, checks: Sequence[Result | None]) -> Result | None:
    if any(check is None for check in checks):
        return None  # a login failed: the ordinary requests report that
    if all(check is not None and check.outcome == "success" for check in checks):
        return Result("success", 200)
    shown = ", ".join(f"{c.outcome} ({c.status})" for c in checks if c is not None)
    return Result("error", None, f"{kind}: a token from the other node was not accepted: {shown}")


async def cross_check(
    base: Api, cand: Api, peer: Api, account: Account
) -> tuple[Result, Result] | None:
    """Tokens between two nodes on one database, on each side of the pair.

    The candidate's side: ``peer`` (the baseline's code on the candidate's database, on the real
    clock) issues a token the candidate must accept, and the other way round, as two versions
    do during a rolling deploy. The baseline's side: the same between two baseline nodes, i.e.
    the baseline accepting its own fresh tokens both times. ``None`` when a login failed.

    The baseline's side logs in twice, at once, though one login would show as much about the
    baseline itself: the candidate's side has two simultaneous logins of the account on its
    database, and the control must have the same. A rule kept per account (one live session,
    a session cap, a per-account login limit) would otherwise fail only on the candidate's side.
    """
    on_cand = await asyncio.gather(_checked(peer, cand, account), _checked(cand, peer, account))
    on_base = await asyncio.gather(_checked(base, base, account), _checked(base, base, account))
    base_side, cand_side = _both(CROSS_KIND, on_base), _both(CROSS_KIND, on_cand)
    if base_side is None or cand_side is None:
        return None
    return base_side, cand_side
