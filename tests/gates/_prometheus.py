"""A real Prometheus server on 127.0.0.1 for the canary's tests, started and stopped by pid.

It runs Debian's ``prometheus`` binary with a temporary configuration and TSDB directory and
scrapes the given targets every second.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from quality_gates.processes import HOST
from quality_gates.profile import Launch
from quality_gates.replay.launch import Server, start_server

READY_TIMEOUT = 30.0
SCRAPE_INTERVAL = "1s"


class PrometheusUnavailableError(Exception):
    """No ``prometheus`` binary on PATH."""


def find_prometheus() -> str:
    """The ``prometheus`` binary, or :class:`PrometheusUnavailableError`."""
    found = shutil.which("prometheus")
    if found is None:
        raise PrometheusUnavailableError(
            "prometheus not installed (Debian: apt-get install prometheus)"
        )
    return found


def config_text(targets: Mapping[str, str]) -> str:
    """A configuration scraping each ``track -> host:port`` as job ``authsvc``, label ``track``.

    JSON is YAML, so the file needs no YAML library.
    """
    config = {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "scrape_timeout": SCRAPE_INTERVAL},
        "scrape_configs": [
            {
                "job_name": "authsvc",
                "static_configs": [
                    {"targets": [address], "labels": {"track": track}}
                    for track, address in targets.items()
                ],
            }
        ],
    }
    return json.dumps(config, indent=2)


def query(server: Server, promql: str) -> list[dict[str, object]]:
    """The instant vector of ``promql`` (for the test's own waiting)."""
    with httpx.Client(timeout=5.0, trust_env=False) as client:
        answer = client.get(f"{server.base_url}/api/v1/query", params={"query": promql}).json()
    result: list[dict[str, object]] = answer["data"]["result"]
    return result


def wait_for_targets(server: Server, count: int, timeout: float = 20.0) -> None:
    """Until ``count`` targets have been scraped successfully (``up == 1``).

    Prometheus hands new targets to its scrapers about 5 s after it starts.
    """
    deadline = time.monotonic() + timeout
    while len(query(server, "up == 1")) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"Prometheus did not scrape {count} targets:\n{server.log_tail()}")
        time.sleep(0.2)


def start_prometheus(binary: str, workdir: Path, targets: Mapping[str, str]) -> Server:
    """Start Prometheus scraping ``targets`` (track -> host:port), ready to answer queries.

    The replay's launcher starts it (a free port, its own session, ``/-/ready`` polled) and its
    :meth:`Server.stop` ends it by pid.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "prometheus.yml"
    config.write_text(config_text(targets), encoding="utf-8")
    launch = Launch(
        command=(
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address={HOST}:{{port}}",
            "--log.level=warn",
        ),
        ready_path="/-/ready",
        ready_timeout_seconds=READY_TIMEOUT,
    )
    return start_server(
        "prometheus", launch, dict(os.environ), database_url="", workdir=workdir, cwd=workdir
    )
