"""The UTC datetime column type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine
from sqlalchemy.dialects import sqlite

from authsvc.store.models import UTCDateTime

# A dialect object; creating the engine does not connect.
_POSTGRES = create_engine("postgresql+psycopg://u@127.0.0.1/db").dialect


def test_sqlite_stores_naive_utc_and_returns_aware() -> None:
    """Other offsets are converted; results come back aware."""
    column = UTCDateTime()
    dialect = sqlite.dialect()
    paris = datetime(2030, 1, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    stored = column.process_bind_param(paris, dialect)
    assert stored == datetime(2030, 1, 1, 12, 0)  # noqa: DTZ001 (naive on purpose)
    assert column.process_result_value(stored, dialect) == datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def test_postgresql_keeps_aware_values() -> None:
    """timestamptz takes aware datetimes as they are (in UTC)."""
    column = UTCDateTime()
    value = datetime(2030, 1, 1, tzinfo=UTC)
    assert column.process_bind_param(value, _POSTGRES) == value
    other = datetime(2030, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    assert column.process_result_value(other, _POSTGRES) == value


def test_naive_values_are_refused() -> None:
    """A naive datetime is ambiguous: refused where it enters."""
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2030, 1, 1), sqlite.dialect())  # noqa: DTZ001


def test_none_passes_through() -> None:
    """NULL stays NULL."""
    assert UTCDateTime().process_bind_param(None, sqlite.dialect()) is None
    assert UTCDateTime().process_result_value(None, sqlite.dialect()) is None
