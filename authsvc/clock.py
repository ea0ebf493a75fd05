"""Injectable clocks: the one source of "now" for the service.

Every time-dependent rule (token expiry, lockout windows, session lifetimes) asks a
:class:`Clock` instead of calling :func:`datetime.now`, so tests can move time:

- :class:`SystemClock` is the production clock.
- :class:`ManualClock` is for in-process unit tests.
- :class:`OffsetFileClock` is the black-box test hook behind ``AUTHSVC_CLOCK_OFFSET_FILE``:
  the wall clock plus a number of seconds read from a file, so a test can move time in
  every worker process of a running server by rewriting one file.

All clocks return timezone-aware UTC datetimes.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol, runtime_checkable

__all__ = [
    "MAX_OFFSET_SECONDS",
    "Clock",
    "ManualClock",
    "OffsetFileClock",
    "SystemClock",
    "ensure_utc",
]

#: Largest offset :class:`OffsetFileClock` honours (about 100 years either way). Anything
#: beyond is treated as garbage: it would overflow :class:`datetime` and the clock must
#: never raise.
MAX_OFFSET_SECONDS = 100 * 366 * 24 * 3600.0

# An offset file holds one number; a larger file is not an offset file, and capping the
# read keeps a mistaken path (a log, a device) from costing anything.
_MAX_OFFSET_FILE_BYTES = 64
_MTIME_SETTLE_NS = 2_000_000_000


@runtime_checkable
class Clock(Protocol):
    """A source of the current time."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...


def ensure_utc(dt: datetime) -> datetime:
    """Return ``dt`` converted to UTC; refuse naive datetimes (``ValueError``).

    A naive datetime is ambiguous, and comparing it with an aware one raises later in
    some unrelated place, so it is refused where it enters.
    """
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError("datetime must be timezone-aware")
    return dt.astimezone(UTC)


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        """Return the current wall-clock time in UTC."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to; for unit tests.

    ``start`` defaults to the current wall-clock time (so tokens it stamps look recent);
    pass a fixed datetime for fully reproducible tests.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = datetime.now(UTC) if start is None else ensure_utc(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the clock's current time."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock by ``seconds`` (negative moves it back)."""
        with self._lock:
            self._now += timedelta(seconds=seconds)

    def set(self, dt: datetime) -> None:
        """Jump to ``dt`` (must be timezone-aware)."""
        value = ensure_utc(dt)
        with self._lock:
            self._now = value


@dataclass(frozen=True)
class _Cached:
    stamp: tuple[int, int, int]  # (st_ino, st_mtime_ns, st_size)
    offset: float


class OffsetFileClock:
    """The wall clock plus an offset in seconds read from ``path``.

    The file holds one number (``"3600"``, ``"-90.5"``). It is re-checked on every call,
    but only re-read when its inode, mtime or size changed (or it changed in the last two
    seconds), so a call usually costs one ``stat``.
    A missing, empty, unreadable or malformed file, or a non-finite or absurd number,
    means offset 0: this clock never raises, because a broken test hook must not turn
    into failed logins.
    """

    def __init__(self, path: Path) -> None:
        self._path = Path(path)
        self._cached: _Cached | None = None

    @property
    def path(self) -> Path:
        """The offset file."""
        return self._path

    def offset(self) -> float:
        """Return the current offset in seconds (0.0 when the file is unusable)."""
        try:
            st = self._path.stat()
        except (OSError, ValueError):  # ValueError: e.g. a NUL byte in the path
            self._cached = None
            return 0.0
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        cached = self._cached  # one read: other threads may replace it concurrently
        # Two writes within one mtime tick (coarse on many filesystems) look identical to
        # stat, so a file modified in the last couple of seconds is always re-read.
        settled = time.time_ns() - st.st_mtime_ns > _MTIME_SETTLE_NS
        if cached is not None and cached.stamp == stamp and settled:
            return cached.offset
        offset = _read_offset(self._path)
        self._cached = _Cached(stamp, offset)
        return offset

    def now(self) -> datetime:
        """Return the wall-clock time plus the file's offset, in UTC."""
        return datetime.now(UTC) + timedelta(seconds=self.offset())


def _read_offset(path: Path) -> float:
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_OFFSET_FILE_BYTES + 1)
    except OSError:
        return 0.0
    if len(data) > _MAX_OFFSET_FILE_BYTES:
        return 0.0
    try:
        value = float(data.decode("ascii").strip())
    except ValueError:  # includes UnicodeDecodeError; "" also lands here
        return 0.0
    if not math.isfinite(value) or abs(value) > MAX_OFFSET_SECONDS:
        return 0.0
    return value
