"""Fixtures for the contract suite: the OpenAPI schema of authsvc, loaded two ways.

- ``asgi``: the app in-process (``schemathesis.openapi.from_asgi``), on a SQLite file in
  a temporary directory, with small argon2 parameters.
- ``live``: a running server: the one at ``QG_CONTRACT_URL`` when it is set, else, with
  ``--integration``, a real ``authsvc serve`` (uvicorn, one worker) started once per session
  by the integration harness on a SQLite file in a temporary directory, and stopped by pid at
  the end; skipped, with the reason, when neither is given.

Either way the schema is the served document, auth-flow links included (the service
declares them: ``authsvc/routes/links.py``), with the auth-specific checks
(``_checks.py``) and a bearer-token auth provider registered through Schemathesis' auth
mechanism (``_target.register_login_auth``).
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from schemathesis.schemas import BaseSchema

from authsvc.app import create_app
from authsvc.store.migrate import upgrade
from tests.contract._target import (
    CONTRACT_URL_ENV,
    ContractTarget,
    asgi_loader,
    emptier,
    live_loader,
)
from tests.integration._servers import Database, LiveServer, start_server
from tests.property._service import (
    LEEWAY,
    LOCKOUT_WINDOW,
    SESSION_LIFETIME,
    service_settings,
)

# What both targets pin beyond the suite's defaults: the real clock's 15-minute tokens and
# the usual lockout threshold.
ACCESS_TTL = 900
LOCKOUT_THRESHOLD = 5

#: The live server's settings, as ``AUTHSVC_*`` variables: those of the in-process app
#: (``service_settings``), so both targets answer alike. The harness adds the rest: a
#: fresh random signing key and argon2id at m=1024 KiB, t=1, p=1 (``service_env``).
LIVE_SERVER_ENV = {
    "AUTHSVC_ACCESS_TTL_SECONDS": str(ACCESS_TTL),
    "AUTHSVC_LEEWAY_SECONDS": str(LEEWAY),
    "AUTHSVC_REFRESH_TTL_SECONDS": str(SESSION_LIFETIME),
    "AUTHSVC_LOCKOUT_THRESHOLD": str(LOCKOUT_THRESHOLD),
    "AUTHSVC_LOCKOUT_WINDOW_SECONDS": str(LOCKOUT_WINDOW),
    # Every generated request comes from 127.0.0.1: the per-client limiter would turn later
    # cases into 429s. It has tests of its own.
    "AUTHSVC_CLIENT_RATE_LIMIT": "0",
    "AUTHSVC_HASH_WORKERS": "2",
    "AUTHSVC_LOG_LEVEL": "WARNING",
}

# The live server this session started, so a failed live test's report can show its log.
LIVE_SERVER_KEY = pytest.StashKey[LiveServer]()


# Function scope on purpose: Schemathesis ends an ASGI app's lifespan when the test that
# started it ends (its pytest_runtest_teardown), and authsvc's lifespan shutdown closes
# the hashing pool and the engine for good, so each test gets an app of its own.
@pytest.fixture
def contract_app(tmp_path: Path) -> FastAPI:
    """The service in-process, on its own migrated SQLite file."""
    url = f"sqlite:///{tmp_path / 'authsvc.db'}"
    upgrade(url)
    # The real clock: the contract is about the service as it runs. The per-client
    # limit is off, since every generated request comes from one client.
    return create_app(
        service_settings(url, access_ttl_seconds=ACCESS_TTL, lockout_threshold=LOCKOUT_THRESHOLD)
    )


@pytest.fixture(scope="session")
def live_contract_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The base URL of the live target: ``QG_CONTRACT_URL``, else a server of our own.

    The server is started on first use only (the ``asgi`` variants never ask), and serves
    every live variant of the session; ``authsvc serve`` migrates its empty SQLite file on
    start, as a deploy does.
    """
    url = os.environ.get(CONTRACT_URL_ENV, "").rstrip("/")
    if url:
        yield url
        return
    if not request.config.getoption("--integration"):
        pytest.skip(
            f"no live server: {CONTRACT_URL_ENV} is unset and --integration was not given "
            "(with it, the suite starts authsvc serve itself)"
        )
    directory = tmp_path_factory.mktemp("contract-live")
    server = start_server(directory, Database.sqlite(directory / "authsvc.db"), env=LIVE_SERVER_ENV)
    request.config.stash[LIVE_SERVER_KEY] = server
    try:
        yield server.base_url
    finally:
        server.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the end of the live server's log to a failed live test (a 500's traceback)."""
    report = yield
    server = item.config.stash.get(LIVE_SERVER_KEY, None)
    if report.failed and server is not None and "[live]" in item.nodeid:
        log = server.log_tail()  # warnings and errors only: often empty
        if log.strip():
            report.sections.append((f"authsvc serve log (port {server.port})", log))
    return report


@pytest.fixture(params=["asgi", "live"])
def contract_target(request: pytest.FixtureRequest) -> ContractTarget:
    """authsvc in-process, or live (``live_contract_url``)."""
    # Fixtures looked up by name, so each variant builds only what it runs against.
    if request.param == "live":
        url: str = request.getfixturevalue("live_contract_url")
        return ContractTarget(live_loader(url), reset=None)
    app: FastAPI = request.getfixturevalue("contract_app")
    return ContractTarget(asgi_loader(app), reset=emptier(app))


@pytest.fixture
def api_schema(contract_target: ContractTarget) -> BaseSchema:
    """Every operation, authenticated where required (for ``from_fixture``)."""
    return contract_target.authenticated()


@pytest.fixture
def anonymous_api_schema(contract_target: ContractTarget) -> BaseSchema:
    """The protected operations, without valid credentials (for ``from_fixture``)."""
    return contract_target.anonymous()


@pytest.fixture(autouse=True)
def _schemathesis_node_id_shim(request: pytest.FixtureRequest) -> None:
    """Give the test node the ``_nodeid`` attribute Schemathesis 4.32's lazy schema reads.

    pytest 9.2 keeps node ids in ``_id`` (the ``nodeid`` property); ``from_fixture``
    still reads and rewrites ``request.node._nodeid`` and fails with AttributeError
    without it. Remove once the locked Schemathesis no longer touches ``_nodeid``.
    """
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
