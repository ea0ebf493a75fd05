"""Clock skew: the candidate runs with its clock offset from the baseline's.

In a fleet, the node that issues a token and the node that checks it never agree exactly on
the time; a service tolerates that with a leeway on its time claims. The replay runs the
candidate's processes under libfaketime (``LD_PRELOAD``, a fixed ``FAKETIME`` offset), which
works for any service without its cooperation: every ``time()``/``clock_gettime(REALTIME)``
of the process and of its children is shifted, the monotonic clock is left alone (timeouts
and event loops keep their pace). The tokens the baseline issued while seeding are then used
on a candidate whose clock is behind (they look issued in its future) or ahead (older), and
the rollback baseline reads what the skewed candidate wrote. For the accounts that play the
races, each version also checks an access token the other has just issued (``me-cross``):
with the candidate behind, the baseline's token is from the candidate's future.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
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


#: The request kind of the cross-version check: a fresh access token checked by the other node.
CROSS_KIND = "me-cross"


async def cross_check(base: Api, cand: Api, account: Account) -> tuple[Result, Result] | None:
    """Each version checks an access token the other version has just issued.

    ``(the baseline checking the candidate's token, the candidate checking the baseline's)``,
    or ``None`` when a login failed (that failure is the finding of the ordinary requests).
    Fresh tokens matter: a token minted minutes earlier has aged past any small skew.
    """
    logins = await asyncio.gather(
        base.login(account.email, account.password), cand.login(account.email, account.password)
    )
    base_token, cand_token = (r.access if r.outcome == "success" else None for r in logins)
    if base_token is None or cand_token is None:
        return None
    on_base, on_cand = await asyncio.gather(base.me(cand_token), cand.me(base_token))
    return on_base, on_cand
