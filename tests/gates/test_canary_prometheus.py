"""``canary watch --prometheus``: decisions from a real Prometheus scraping real authsvc servers.

Three ``authsvc serve`` processes get the same login traffic while Prometheus scrapes them every
second: the baseline, a healthy canary (the same settings) and a broken canary that locks an
account after a single wrong password (``AUTHSVC_LOCKOUT_THRESHOLD=1``), so the user's next,
correct, login is refused. Each user logs in, mistypes once, logs in again: the baseline and the
healthy canary let 2 of 3 attempts in, the broken one 1 of 3. Prometheus is skipped when missing,
unless ``QG_REQUIRE_PROMETHEUS=1`` (CI), which makes that a failure.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest

from quality_gates.replay.launch import Server
from tests.gates._prometheus import (
    PrometheusUnavailableError,
    find_prometheus,
    start_prometheus,
    wait_for_targets,
)
from tests.gates._repo import CLI, GitRepo
from tests.integration._servers import Database, LiveServer, start_server

METRIC = "authsvc_login_attempts_total"
TRACKS = {"baseline": "5", "healthy": "5", "broken": "1"}  # track -> lockout threshold
FAST = ("--canary-interval", "1", "--canary-min-sample", "30", "--canary-metric", METRIC)

pytestmark = pytest.mark.slow  # three services and Prometheus: about 30 s


@pytest.fixture(scope="module")
def prometheus_binary() -> str:
    try:
        return find_prometheus()
    except PrometheusUnavailableError as exc:
        if os.environ.get("QG_REQUIRE_PROMETHEUS") == "1":
            pytest.fail(f"QG_REQUIRE_PROMETHEUS=1 but {exc}")
        pytest.skip(str(exc))


@dataclass
class Fleet:
    """The three services and the Prometheus scraping them."""

    servers: dict[str, LiveServer]
    prometheus: Server


@pytest.fixture(scope="module")
def fleet(prometheus_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    root = tmp_path_factory.mktemp("canary-prometheus")
    servers: dict[str, LiveServer] = {}

    def start(track: str) -> None:
        env = {"AUTHSVC_CLIENT_RATE_LIMIT": "0", "AUTHSVC_LOCKOUT_THRESHOLD": TRACKS[track]}
        servers[track] = start_server(
            root / track, Database.sqlite(root / track / "authsvc.db"), env=env
        )

    try:
        # Side by side: each start takes seconds (migrations, uvicorn), mostly waiting.
        with ThreadPoolExecutor(len(TRACKS)) as pool:
            list(pool.map(start, TRACKS))
        targets = {track: f"127.0.0.1:{server.port}" for track, server in servers.items()}
        prometheus = start_prometheus(prometheus_binary, root / "prometheus", targets)
        try:
            wait_for_targets(prometheus, len(targets))
            yield Fleet(servers, prometheus)
        finally:
            prometheus.stop()
    finally:
        for server in servers.values():
            server.stop()


class Traffic:
    """A thread logging users in on every service until stopped: login, typo, login."""

    def __init__(self, servers: dict[str, LiveServer]) -> None:
        self.servers = servers
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.users = itertools.count()

    def _run(self) -> None:
        clients = {
            track: httpx.Client(base_url=server.base_url, timeout=10.0, trust_env=False)
            for track, server in self.servers.items()
        }
        try:
            while not self.stopped.is_set():
                email, password = f"user{next(self.users)}@example.com", "correct horse 1"
                for client in clients.values():
                    client.post("/v1/users", json={"email": email, "password": password})
                    for attempt in (password, "wrong password", password):
                        client.post("/v1/sessions", json={"email": email, "password": attempt})
        finally:
            for client in clients.values():
                client.close()

    def __enter__(self) -> Traffic:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=30)


@pytest.fixture
def committed(repo: GitRepo) -> GitRepo:
    repo.write("README.md", "hello\n")
    repo.commit("base")
    return repo


def watch(cli: CLI, fleet: Fleet, canary: str, *extra: str) -> tuple[int, str, str]:
    run = cli(
        "--format", "json", "canary", "watch", "--prometheus-url", fleet.prometheus.base_url,
        "--baseline-selector", '{job="authsvc",track="baseline"}',
        "--canary-selector", f'{{job="authsvc",track="{canary}"}}', *FAST, *extra,
    )  # fmt: skip
    return run.code, run.out, run.err


def test_a_canary_that_locks_users_out_is_rolled_back(
    cli: CLI, committed: GitRepo, fleet: Fleet
) -> None:
    with Traffic(fleet.servers):
        code, out, err = watch(cli, fleet, "broken", "--canary-duration", "30")
    assert code == 1, out + err
    result = json.loads(out)["gates"][0]
    assert result["summary"].startswith("roll back: login success ")
    metrics = result["metrics"]
    assert metrics["decision"] == "rollback"
    # One in three on the broken canary, two in three on the baseline (give or take the users
    # whose logins straddle a scrape).
    assert 28 < metrics["canary_success_rate"] < 40
    assert 60 < metrics["baseline_success_rate"] < 73
    assert metrics["polls"] < 25  # decided as soon as the evidence sufficed, not at the end


def test_a_healthy_canary_is_promoted(cli: CLI, committed: GitRepo, fleet: Fleet) -> None:
    with Traffic(fleet.servers):
        code, out, err = watch(cli, fleet, "healthy", "--canary-duration", "8")
    assert code == 0, out + err
    metrics = json.loads(out)["gates"][0]["metrics"]
    assert metrics["decision"] == "promote"
    # Two of three attempts succeed on both; Prometheus scrapes each at its own instant, so a
    # user's three logins can straddle a scrape on one service and not on the other.
    assert metrics["canary_attempts"] >= 30
    assert 60 < metrics["canary_success_rate"] < 73
    assert 60 < metrics["baseline_success_rate"] < 73


def test_a_selector_matching_nothing_is_inconclusive(
    cli: CLI, committed: GitRepo, fleet: Fleet
) -> None:
    code, out, _ = watch(
        cli, fleet, "nosuch", "--canary-duration", "1.5", "--canary-interval", "0.5"
    )
    assert code == 4, out
    assert f'inconclusive: no series match {METRIC}{{job=\\"authsvc\\",track=\\"nosuch\\"}}' in out


def test_a_promql_error_is_bad_input(cli: CLI, committed: GitRepo, fleet: Fleet) -> None:
    run = cli(
        "canary", "watch", "--prometheus-url", fleet.prometheus.base_url, "--canary-metric", METRIC,
        "--baseline-selector", '{track="baseline"}', "--canary-selector", '{track=~"("}',
    )  # fmt: skip
    assert run.code == 2, run.out + run.err
    [line] = [line for line in run.err.splitlines() if line.startswith("quality-gates:")]
    assert "bad_data" in line
    assert "Traceback" not in run.err
