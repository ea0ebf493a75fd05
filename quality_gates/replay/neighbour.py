"""The noisy neighbour: one client hammers wrong passwords behind the proxy, on both versions.

Run only when the versions sit behind a proxy (``topology = "nginx"``), just before the
accounts are replayed. The hammering client has an address of its own and writes the address
of the replay's first client into its own ``X-Forwarded-For`` (a forgery nginx keeps, left of
the real peer). A target that derives the client address as deployed limits the hammering
client and no one else; one that takes the left-most entry puts the forged neighbour over the
limit, and one that keys on the peer (the proxy) puts everyone over it. Either way the
replay's own correct logins then meet 429 on the candidate and not on the baseline, which the
tally reports; this module judges the hammering itself: a version that limited it (429, with
``Retry-After``) must still do so.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from quality_gates.replay.client import Api

#: Wrong passwords sent at most; well above the usual per-client limits (authsvc: 300/min).
MAX_ATTEMPTS = 1000
#: The account hammered: nobody's (a made-up one, so no replayed account is locked by it).
TARGET_EMAIL = "noisy-neighbour@replay.invalid"
WRONG_PASSWORD = "not-the-password-0"


@dataclass(frozen=True)
class Hammering:
    """How one version answered: failures before the first 429, and whether it said when."""

    attempts: int
    limited: bool
    retry_after: bool = False
    errors: int = 0


async def hammer(api: Api, forged_for: str, parallel: int) -> Hammering:
    """Send wrong passwords (``parallel`` at a time) until the first 429 or ``MAX_ATTEMPTS``."""
    sent = errors = 0
    limited: list[bool] = []  # the Retry-After presence of the first 429
    headers = {"X-Forwarded-For": forged_for}

    async def worker() -> None:
        nonlocal sent, errors
        while not limited and sent < MAX_ATTEMPTS:
            sent += 1
            response = await api.login_response(TARGET_EMAIL, WRONG_PASSWORD, headers)
            if response is None or response.status_code >= 500:
                errors += 1
            elif response.status_code == 429 and not limited:
                limited.append("retry-after" in response.headers)

    await asyncio.gather(*(worker() for _ in range(parallel)))
    return Hammering(sent, bool(limited), bool(limited and limited[0]), errors)


def judge(baseline: Hammering, candidate: Hammering) -> list[str]:
    """What got worse from the baseline to the candidate (empty: nothing)."""
    problems = []
    if baseline.limited and not candidate.limited:
        problems.append(
            "the candidate no longer limits a client that keeps failing logins behind the "
            f"proxy: the baseline answered 429 after {baseline.attempts} wrong passwords, the "
            f"candidate never did in {candidate.attempts}"
        )
    if baseline.retry_after and candidate.limited and not candidate.retry_after:
        problems.append("the candidate's 429 to a client over its limit lacks Retry-After")
    return problems
