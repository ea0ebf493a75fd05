"""Tests for authsvc.clock: the injectable clocks and the offset-file test hook."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from authsvc import clock as clock_module
from authsvc.clock import Clock, ManualClock, OffsetFileClock, SystemClock, ensure_utc

START = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


def _close_to_now(value: datetime, *, offset: float = 0.0, tolerance: float = 5.0) -> bool:
    expected = datetime.now(UTC) + timedelta(seconds=offset)
    return abs((value - expected).total_seconds()) < tolerance


def test_every_clock_satisfies_the_protocol(tmp_path: Path) -> None:
    """The three clocks are usable wherever a Clock is expected."""
    for clock in (SystemClock(), ManualClock(START), OffsetFileClock(tmp_path / "offset")):
        assert isinstance(clock, Clock)


def test_system_clock_is_aware_utc_and_current() -> None:
    """SystemClock returns the wall clock in UTC, never a naive datetime."""
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert _close_to_now(now)


def test_manual_clock_stands_still_until_advanced() -> None:
    """A ManualClock only moves when told to, forwards or backwards."""
    clock = ManualClock(START)
    assert clock.now() == START
    assert clock.now() == START
    clock.advance(90.5)
    assert clock.now() == START + timedelta(seconds=90.5)
    clock.advance(-0.5)
    assert clock.now() == START + timedelta(seconds=90)


def test_manual_clock_set_jumps_and_converts_to_utc() -> None:
    """set() takes any aware datetime and stores it as UTC."""
    clock = ManualClock(START)
    plus_two = timezone(timedelta(hours=2))
    clock.set(datetime(2030, 6, 1, 14, 0, tzinfo=plus_two))
    assert clock.now() == datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
    assert clock.now().utcoffset() == timedelta(0)


def test_manual_clock_defaults_to_now() -> None:
    """Without a start, a ManualClock starts at the current time, in UTC."""
    now = ManualClock().now()
    assert now.utcoffset() == timedelta(0)
    assert _close_to_now(now)


def test_naive_datetimes_are_refused() -> None:
    """A naive datetime is ambiguous and is refused where it enters."""
    naive = datetime(2025, 1, 1, 12, 0)  # noqa: DTZ001 (the point of the test)
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(START).set(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        ensure_utc(naive)


def _write(path: Path, text: str | bytes, *, mtime: float | None = None) -> None:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def test_offset_file_missing_means_no_offset(tmp_path: Path) -> None:
    """No file: the clock is the wall clock."""
    clock = OffsetFileClock(tmp_path / "absent")
    assert clock.offset() == 0.0
    assert _close_to_now(clock.now())
    assert clock.now().utcoffset() == timedelta(0)


def test_offset_file_adds_its_seconds(tmp_path: Path) -> None:
    """The file's number is added to the wall clock, and a rewrite is seen at once."""
    path = tmp_path / "offset"
    _write(path, "3600\n")
    clock = OffsetFileClock(path)
    assert clock.offset() == 3600.0
    assert _close_to_now(clock.now(), offset=3600)
    _write(path, "-90.5")
    assert clock.offset() == -90.5
    assert _close_to_now(clock.now(), offset=-90.5)
    path.unlink()
    assert clock.offset() == 0.0


def test_offset_file_rewrite_in_the_same_tick_is_seen(tmp_path: Path) -> None:
    """Two same-size writes with an identical mtime still give the newer value."""
    path = tmp_path / "offset"
    stamp = datetime.now(UTC).timestamp()
    _write(path, "100", mtime=stamp)
    clock = OffsetFileClock(path)
    assert clock.offset() == 100.0
    _write(path, "200", mtime=stamp)
    assert clock.offset() == 200.0


def test_offset_file_is_cached_by_stat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unchanged (settled) file is read once, not on every call."""
    path = tmp_path / "offset"
    _write(path, "42", mtime=datetime.now(UTC).timestamp() - 60)
    reads: list[Path] = []
    real_read = clock_module._read_offset

    def counting_read(p: Path) -> float:
        reads.append(p)
        return real_read(p)

    monkeypatch.setattr(clock_module, "_read_offset", counting_read)
    clock = OffsetFileClock(path)
    for _ in range(5):
        assert clock.offset() == 42.0
    assert len(reads) == 1
    _write(path, "4242", mtime=datetime.now(UTC).timestamp() - 30)
    assert clock.offset() == 4242.0
    assert len(reads) == 2


@pytest.mark.parametrize(
    "content",
    [
        "",
        "   \n",
        "abc",
        "12 seconds",
        "nan",
        "inf",
        "-Infinity",
        "1e300",
        "-1e12",
        b"\xff\xfe\x00\x01",
        "3600" + " " * 100,  # larger than any offset file
    ],
)
def test_offset_file_garbage_means_no_offset(tmp_path: Path, content: str | bytes) -> None:
    """Unusable content gives offset 0, and now() never raises."""
    path = tmp_path / "offset"
    _write(path, content)
    clock = OffsetFileClock(path)
    assert clock.offset() == 0.0
    assert _close_to_now(clock.now())


def test_offset_file_that_is_a_directory_means_no_offset(tmp_path: Path) -> None:
    """A path that cannot be read as a file gives offset 0."""
    clock = OffsetFileClock(tmp_path)
    assert clock.offset() == 0.0
    assert _close_to_now(clock.now())


def test_offset_file_accepts_large_but_sane_offsets(tmp_path: Path) -> None:
    """A year forward is honoured; the bound only rejects absurd values."""
    path = tmp_path / "offset"
    year = 365 * 24 * 3600
    _write(path, str(year))
    clock = OffsetFileClock(path)
    assert clock.path == path
    assert _close_to_now(clock.now(), offset=year)
