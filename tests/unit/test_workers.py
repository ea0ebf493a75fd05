"""The hashing pool and the database lane."""

from __future__ import annotations

import os
import threading
import time

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from authsvc.domain.outcomes import StoreUnavailable
from authsvc.workers import HASH_THREAD_NICENESS, Offload

pytestmark = pytest.mark.anyio


async def test_hashing_runs_in_the_bounded_pool() -> None:
    """Hash work runs on named pool threads, never more at once than configured."""
    offload = Offload(2)
    active = 0
    peak = 0
    names: set[str] = set()
    lock = threading.Lock()

    def work() -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
            names.add(threading.current_thread().name)
        time.sleep(0.02)
        with lock:
            active -= 1

    import asyncio  # noqa: PLC0415

    await asyncio.gather(*(offload.hash(work) for _ in range(8)))
    offload.shutdown()
    assert peak == 2
    assert all(name.startswith("authsvc-hash") for name in names)


async def test_db_runs_off_the_loop() -> None:
    """Database calls run in a worker thread, with arguments passed through."""
    offload = Offload(1)
    main = threading.get_ident()

    def call(a: int, *, b: int) -> tuple[int, int]:
        return threading.get_ident(), a + b

    ident, total = await offload.db(call, 1, b=2)
    offload.shutdown()
    assert ident != main
    assert total == 3


async def test_unreachable_database_becomes_store_unavailable() -> None:
    """Driver connection errors map to StoreUnavailable; constraint errors do not."""
    offload = Offload(1)

    def unreachable() -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))

    def duplicate() -> None:
        raise IntegrityError("INSERT", {}, ValueError("unique"))

    with pytest.raises(StoreUnavailable) as info:
        await offload.db(unreachable)
    assert info.value.reason == "ConnectionRefusedError"
    with pytest.raises(IntegrityError):
        await offload.db(duplicate)
    offload.shutdown()


def test_needs_a_worker() -> None:
    """A pool of zero threads would deadlock every login."""
    with pytest.raises(ValueError, match="hash_workers"):
        Offload(0)


async def test_hashing_threads_are_nicer_than_the_loop() -> None:
    """On Linux the hashing threads run at a lower priority than the event loop."""
    offload = Offload(1)

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    main = niceness()
    inside = await offload.hash(niceness)
    offload.shutdown()
    assert inside == min(19, main + HASH_THREAD_NICENESS)
