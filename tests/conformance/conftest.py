"""Fixtures: the conformance suite run once against each live target (session scope).

Each run starts its service on 127.0.0.1, runs ``quality-gates conformance`` against it in a
child process, stops the service by pid, and keeps the JSON report (and a Markdown copy under
the test's temporary directory) for the assertions.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conformance._targets import (
    PROFILES,
    Suite,
    run_suite,
    start_authsvc,
    start_fastapi_users,
)


@pytest.fixture(scope="session")
def authsvc_suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    """The suite's verdicts on authsvc."""
    workdir = tmp_path_factory.mktemp("authsvc")
    server, env = start_authsvc(workdir)
    try:
        report = f"markdown={workdir / 'conformance.md'}"
        yield run_suite(server.base_url, PROFILES / "authsvc.toml", env, "--report", report)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def fastapi_users_suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    """The suite's verdicts on the fastapi-users example."""
    workdir = tmp_path_factory.mktemp("fastapi-users")
    server, env = start_fastapi_users(workdir)
    try:
        report = f"markdown={workdir / 'conformance.md'}"
        yield run_suite(server.base_url, PROFILES / "fastapi-users.toml", env, "--report", report)
    finally:
        server.stop()
