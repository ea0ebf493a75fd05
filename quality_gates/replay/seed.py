"""Writing the population into the baseline's database, through the baseline's own code.

Imported accounts go through the target's seed hook (for authsvc, ``authsvc import-users``)
with hash records the framework made itself; registered accounts through the baseline's own
registration endpoint; live sessions through its login; locked accounts through bursts of wrong
passwords. So the database holds what the old version itself wrote, as production would.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from quality_gates.replay.client import Api
from quality_gates.replay.legacy import COSTS, WIDE, CostProfile
from quality_gates.replay.play import OldTokens
from quality_gates.replay.population import Account, Population

T = TypeVar("T")
#: Bump when the hash records change, so cached import files are not reused.
RECORD_FORMAT = 1
_CHUNK = 64


class SeedError(Exception):
    """The baseline refused part of the population: the replay cannot be judged."""


async def for_each(items: Iterable[T], action: Callable[[T], Awaitable[None]], limit: int) -> None:
    """Run ``action`` on every item, at most ``limit`` at once, without queueing them all."""
    pending: set[asyncio.Task[None]] = set()
    try:
        for item in items:
            if len(pending) >= limit:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()  # re-raise the first failure
            pending.add(asyncio.ensure_future(action(item)))
        if pending:
            for outcome in await asyncio.gather(*pending, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    raise outcome
    finally:
        for task in pending:
            task.cancel()


def _imported(population: Population) -> Iterator[Account]:
    return (a for a in population if a.segment.source == "import")


def _records(accounts: Iterator[Account], costs: CostProfile) -> Iterator[str]:
    """JSONL lines, hashed on every core (hashlib, bcrypt and argon2 release the GIL)."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        while chunk := [a for _, a in zip(range(_CHUNK), accounts, strict=False)]:
            lines = pool.map(
                lambda a: json.dumps(a.import_record(costs), ensure_ascii=False), chunk
            )
            yield from lines


def import_file(population: Population, costs: CostProfile, path: Path, cache: Path | None) -> int:
    """Write the seed hook's JSONL file; returns its number of lines.

    The records are deterministic, so with a ``cache`` directory a population made once (at
    historical costs that takes a while) is reused by later runs.
    """
    # The key covers what the records are made from, so a changed generator never reuses them.
    digest = hashlib.sha256(
        json.dumps([RECORD_FORMAT, costs, repr(COSTS[costs]), repr(WIDE)]).encode()
    )
    for account in _imported(population):
        digest.update(json.dumps([account.email, account.password, account.segment.name]).encode())
    key = digest.hexdigest()[:24]
    cached = cache / "populations" / f"{key}.jsonl" if cache is not None else None
    if cached is not None and cached.is_file():
        path.write_bytes(cached.read_bytes())
        with path.open("rb") as lines:
            return sum(1 for _ in lines)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for line in _records(_imported(population), costs):
            out.write(line + "\n")
            count += 1
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(path.read_bytes())
        partial.replace(cached)
    return count


async def _register(api: Api, account: Account) -> None:
    result = await api.register(account.email, account.password)
    if result.outcome != "success":
        raise SeedError(
            f"the baseline refused to register an account of segment {account.segment.name}: "
            f"{result.outcome} ({result.status or result.detail})"
        )


async def _lock(api: Api, account: Account, threshold: int) -> None:
    for _ in range(threshold):
        result = await api.login(account.email, account.wrong_password)
        if result.outcome == "success":
            raise SeedError(f"the baseline accepted a wrong password ({account.segment.name})")


async def through_api(
    apis: Sequence[Api],
    population: Population,
    *,
    lockout_threshold: int,
    limit: int,
    tick: Callable[[], None],
) -> dict[int, OldTokens]:
    """Register, lock, and log in the live-session accounts; their tokens by account index.

    Account ``i`` uses ``apis[i % len(apis)]`` (its client address, as in the replay), so
    the failures that lock accounts are spread like the users' own.
    """
    tokens: dict[int, OldTokens] = {}

    async def one(account: Account) -> None:
        api = apis[account.index % len(apis)]
        segment = account.segment
        if segment.source == "register":
            await _register(api, account)
        if segment.state == "locked":
            await _lock(api, account, lockout_threshold)
        if segment.live_session:
            login = await api.login(account.email, account.password)
            if login.outcome != "success" or login.access is None:
                raise SeedError(f"the baseline refused a live-session login: {login.outcome}")
            tokens[account.index] = OldTokens(login.access, login.refresh)
        tick()

    needs_api = (
        a for a in population if a.segment.source == "register" or a.segment.state == "locked"
    )
    await for_each(needs_api, one, limit)
    return tokens
