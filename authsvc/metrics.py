"""Prometheus metrics, one registry per app instance.

A per-app :class:`~prometheus_client.CollectorRegistry` keeps apps built in one process
(tests, the replay gate) from sharing counters. With several uvicorn workers
(``authsvc serve --workers N``) the CLI switches prometheus-client to its multiprocess
mode by setting ``PROMETHEUS_MULTIPROC_DIR`` before the workers start; ``/metrics`` then
aggregates every worker's values, so one scrape sees the whole service.

Every label value a counter can take is created at zero up front, so a rate computed by
the canary monitor never divides by a series that does not exist yet.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

__all__ = [
    "HASH_UPGRADE_OUTCOMES",
    "LOGIN_OUTCOMES",
    "MULTIPROC_ENV",
    "REFRESH_OUTCOMES",
    "REGISTRATION_OUTCOMES",
    "Metrics",
]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

LOGIN_OUTCOMES = ("success", "bad_credentials", "locked", "rate_limited", "error")
REGISTRATION_OUTCOMES = ("created", "duplicate", "rejected", "error")
REFRESH_OUTCOMES = ("success", "invalid", "reused", "revoked", "expired", "error")
HASH_UPGRADE_OUTCOMES = ("upgraded", "conflict", "error", "skipped")
LEGACY_SCHEMES = ("argon2id", "pbkdf2_sha256", "bcrypt")

# Login is one argon2id verification (tens of milliseconds) plus a few queries; the
# buckets resolve that range finely and still catch multi-second stalls.
_LATENCY_BUCKETS = (
    *(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5),
    *(1.0, 2.5, 5.0, 10.0),
)


class Metrics:
    """The service's metric families, registered in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.login_attempts = Counter(
            "authsvc_login_attempts", "Login attempts by outcome.", ["outcome"], registry=r
        )
        self.registrations = Counter(
            "authsvc_registrations", "Registrations by outcome.", ["outcome"], registry=r
        )
        self.refreshes = Counter(
            "authsvc_refresh", "Refresh-token exchanges by outcome.", ["outcome"], registry=r
        )
        self.hash_upgrades = Counter(
            "authsvc_hash_upgrades",
            "Password hashes rewritten after a successful login.",
            ["from_scheme", "outcome"],
            registry=r,
        )
        self.request_duration = Histogram(
            "authsvc_request_duration_seconds",
            "HTTP request latency by route template and method.",
            ["route", "method"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.responses = Counter(
            "authsvc_http_responses",
            "HTTP responses by route template, method and status code.",
            ["route", "method", "status"],
            registry=r,
        )
        for outcome in LOGIN_OUTCOMES:
            self.login_attempts.labels(outcome=outcome)
        for outcome in REGISTRATION_OUTCOMES:
            self.registrations.labels(outcome=outcome)
        for outcome in REFRESH_OUTCOMES:
            self.refreshes.labels(outcome=outcome)
        for scheme in LEGACY_SCHEMES:
            for outcome in HASH_UPGRADE_OUTCOMES:
                self.hash_upgrades.labels(from_scheme=scheme, outcome=outcome)

    def login(self, outcome: str) -> None:
        """Count one login attempt."""
        self.login_attempts.labels(outcome=outcome).inc()

    def registration(self, outcome: str) -> None:
        """Count one registration attempt."""
        self.registrations.labels(outcome=outcome).inc()

    def refresh(self, outcome: str) -> None:
        """Count one refresh attempt."""
        self.refreshes.labels(outcome=outcome).inc()

    def hash_upgrade(self, from_scheme: str, outcome: str) -> None:
        """Count one hash upgrade attempt."""
        self.hash_upgrades.labels(from_scheme=from_scheme, outcome=outcome).inc()

    def observe_request(self, *, route: str, method: str, status: int, seconds: float) -> None:
        """Record one finished HTTP request."""
        self.request_duration.labels(route=route, method=method).observe(seconds)
        self.responses.labels(route=route, method=method, status=str(status)).inc()

    def render(self) -> tuple[bytes, str]:
        """Return the exposition body and its content type.

        In multiprocess mode the values come from every worker's files, not this
        process's registry.
        """
        if os.environ.get(MULTIPROC_ENV):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
