"""Metrics: per-app registries, pre-initialised series, multiprocess rendering."""

from __future__ import annotations

from pathlib import Path

import pytest

from authsvc.metrics import LOGIN_OUTCOMES, MULTIPROC_ENV, Metrics
from tests.unit._helpers import metric_value


def test_every_outcome_starts_at_zero() -> None:
    """Rates never divide by a missing series."""
    text = Metrics().render()[0].decode()
    for outcome in LOGIN_OUTCOMES:
        assert metric_value(text, "authsvc_login_attempts_total", outcome=outcome) == 0
    assert (
        metric_value(text, "authsvc_hash_upgrades_total", from_scheme="bcrypt", outcome="upgraded")
        == 0
    )


def test_registries_are_per_app() -> None:
    """Two Metrics objects do not share counters."""
    first, second = Metrics(), Metrics()
    first.login("success")
    first.registration("created")
    first.refresh("reused")
    first.hash_upgrade("pbkdf2_sha256", "upgraded")
    first.observe_request(route="/v1/me", method="GET", status=200, seconds=0.004)
    one = first.render()[0].decode()
    two = second.render()[0].decode()
    assert metric_value(one, "authsvc_login_attempts_total", outcome="success") == 1
    assert metric_value(two, "authsvc_login_attempts_total", outcome="success") == 0
    assert metric_value(one, "authsvc_refresh_total", outcome="reused") == 1
    assert (
        metric_value(
            one, "authsvc_request_duration_seconds_bucket", route="/v1/me", method="GET", le="0.005"
        )
        == 1
    )


def test_multiprocess_mode_reads_the_shared_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With PROMETHEUS_MULTIPROC_DIR set, /metrics aggregates the workers' files."""
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    body, content_type = Metrics().render()
    assert content_type.startswith("text/plain")
    assert b"authsvc_login_attempts_total" not in body  # nothing written there yet
