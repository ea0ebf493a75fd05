"""One account played on both versions in lock-step: each request leaves for both together.

The cost rule (``timing``) compares an account's request of one kind on the baseline with the
same request on the candidate, and relies on both having met the same load on the machine.
Playing the two versions' sequences side by side from a common start does not give that: the
sequences drift apart (one version's login takes longer, so its next request leaves later),
and the account's next kind then meets different load on each side. Worse, the version that
falls behind keeps more of the replay's requests in flight while the other idles, so the load
it meets is higher, a gap that feeds itself for a whole stretch of the run (docs/replay.md,
"Cost and timing"). Here both versions' plays meet before every request and leave together,
so at any moment both servers hold the same requests. Which one is sent first alternates from
request to request and from account to account, so the client's own order (one event loop
writes one request, then the other) favours neither version.
"""

from __future__ import annotations

import asyncio

from quality_gates.replay.client import Api, Result
from quality_gates.replay.play import OldTokens, play
from quality_gates.replay.population import Account

Played = dict[str, Result]


class Lockstep:
    """The meeting point of two plays: side 0 (the baseline) and side 1 (the candidate).

    A side that finished (its play ended early, e.g. a refused login) is no longer waited
    for: the other plays on alone.
    """

    def __init__(self, first: int = 0) -> None:
        self._first = first  # which side leaves first at the next meeting
        self._waiting: asyncio.Future[None] | None = None  # the side that arrived first
        self._left = [False, False]

    async def meet(self, side: int) -> None:
        """Wait for the other side's next request, then leave in this meeting's order."""
        if self._left[1 - side]:
            return
        if self._waiting is None:
            self._waiting = asyncio.get_running_loop().create_future()
            await self._waiting
            return
        other, self._waiting = self._waiting, None
        first, self._first = self._first, 1 - self._first
        if not other.done():  # done: cancelled with the whole replay
            other.set_result(None)
        if first != side:
            await asyncio.sleep(0)  # the other side's wake-up runs (and sends) before ours

    def leave(self, side: int) -> None:
        """``side`` sends no more requests: release the other if it waits."""
        self._left[side] = True
        if self._waiting is not None and not self._waiting.done():
            self._waiting.set_result(None)
        self._waiting = None


async def play_pair(
    baseline: Api, candidate: Api, account: Account, old: OldTokens | None
) -> tuple[Played, Played]:
    """``account``'s requests on both versions, each request sent to both at the same moment."""
    step = Lockstep(first=account.index % 2)

    async def side(index: int, api: Api) -> Played:
        try:
            return await play(api.paced(lambda: step.meet(index)), account, old)
        finally:
            step.leave(index)

    base, cand = await asyncio.gather(side(0, baseline), side(1, candidate))
    return base, cand
