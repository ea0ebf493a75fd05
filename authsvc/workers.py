"""Where blocking work runs, so the event loop never does it.

Two separate lanes:

- **hashing**: a bounded :class:`~concurrent.futures.ThreadPoolExecutor` of
  ``hash_workers`` threads. argon2-cffi releases the GIL while it hashes, so N threads
  use N cores from one process; excess logins queue here, in their own lane.
- **database**: AnyIO's worker threads, for short synchronous SQLAlchemy calls.

Because the lanes are separate, a cheap authenticated request (``GET /v1/me``: one JWT
check and one indexed SELECT) never waits behind a queue of password hashes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

import anyio.to_thread
from sqlalchemy.exc import DBAPIError, IntegrityError

from authsvc.domain.outcomes import StoreUnavailable

__all__ = ["Offload"]

P = ParamSpec("P")
T = TypeVar("T")


#: How much nicer than the rest of the process the hashing threads run (Linux).
HASH_THREAD_NICENESS = 5


def _lower_thread_priority() -> None:
    """Make the calling (hashing) thread yield the CPU to the event loop.

    On Linux a thread has its own nice value, so when every core is busy hashing, the
    event-loop thread still gets scheduled promptly and cheap requests stay fast; the
    hashing threads lose nothing when the CPU is otherwise idle. Elsewhere: a no-op.
    """
    with contextlib.suppress(AttributeError, OSError):
        tid = threading.get_native_id()
        os.setpriority(
            os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + HASH_THREAD_NICENESS
        )


class Offload:
    """Runs password hashing and database calls off the event loop."""

    def __init__(self, hash_workers: int) -> None:
        if hash_workers < 1:
            raise ValueError("hash_workers must be at least 1")
        self.hash_workers = hash_workers
        self._hash_pool = ThreadPoolExecutor(
            max_workers=hash_workers,
            thread_name_prefix="authsvc-hash",
            initializer=_lower_thread_priority,
        )

    async def hash(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``func`` (a hash or verification) in the bounded hashing pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._hash_pool, functools.partial(func, *args, **kwargs))

    async def db(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``func`` (a repository call) in a worker thread.

        A database that cannot be reached becomes :class:`StoreUnavailable` (a 503), not
        an unexpected error; constraint violations are the repository's business.
        """
        try:
            return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))
        except IntegrityError:
            raise
        except DBAPIError as exc:
            raise StoreUnavailable(type(exc.orig).__name__ if exc.orig else "dbapi") from exc

    def shutdown(self) -> None:
        """Stop the hashing threads; queued work is cancelled."""
        self._hash_pool.shutdown(wait=False, cancel_futures=True)
