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
#: The bystander's one login: another made-up account, so no lockout of the hammered one counts.
BYSTANDER_EMAIL = "bystander@replay.invalid"
WRONG_PASSWORD = "not-the-password-0"


@dataclass(frozen=True)
class Hammering:
    """How one version answered: failures before the first 429, and whether it said when."""

    attempts: int
    limited: bool
    retry_after: bool = False
    errors: int = 0
    #: The status of one login by the client whose address was forged, sent the moment the
    #: hammering stopped (``None``: not sent). 429 means the neighbour's failures throttled it.
    bystander: int | None = None


async def hammer(
    api: Api, forged_for: str, parallel: int, bystander: Api | None = None
) -> Hammering:
    """Send wrong passwords (``parallel`` at a time) until the first 429 or ``MAX_ATTEMPTS``.

    Then, when ``bystander`` (a client at the forged address) is given, it sends one login at
    once. At once, because a per-minute limit lets the bystander in again as soon as the
    window turns: the replay's own logins from that address, seconds later, meet the limit
    only when the neighbour happened to finish early in a window (a bug zoo run missed
    ``client-address-leftmost-forwarded`` that way).
    """
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
    status = None
    if bystander is not None:
        response = await bystander.login_response(BYSTANDER_EMAIL, WRONG_PASSWORD, {})
        status = None if response is None else response.status_code
    return Hammering(sent, bool(limited), bool(limited and limited[0]), errors, status)


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
    if candidate.bystander == 429 and baseline.bystander != 429:
        problems.append(
            "one client's failed logins throttle another on the candidate: right after the "
            "neighbour was limited, a login from the client whose address it forged got 429 "
            f"(the baseline answered {baseline.bystander})"
        )
    return problems
