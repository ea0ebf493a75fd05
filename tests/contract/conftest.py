"""Fixtures for the contract suite: the OpenAPI schema of authsvc, loaded two ways.

- ``asgi``: the app in-process (``schemathesis.openapi.from_asgi``), on a SQLite file in
  a temporary directory, with small argon2 parameters.
- ``live``: a running server at ``AUTHSVC_CONTRACT_URL`` (the integration run starts one);
  skipped, with the reason, when the variable is unset.

Either way the schema is the served document, auth-flow links included (the service
declares them: ``authsvc/routes/links.py``), with the auth-specific checks
(``_checks.py``) and a bearer-token auth provider registered through Schemathesis' auth
mechanism (``_target.register_login_auth``).
"""

from __future__ import annotations

import os
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
from tests.property._service import service_settings


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
    return create_app(service_settings(url, access_ttl_seconds=900, lockout_threshold=5))


@pytest.fixture(params=["asgi", "live"])
def contract_target(request: pytest.FixtureRequest, contract_app: FastAPI) -> ContractTarget:
    """authsvc in-process, or the live server at ``AUTHSVC_CONTRACT_URL``."""
    if request.param == "live":
        url = os.environ.get(CONTRACT_URL_ENV, "").rstrip("/")
        if not url:
            pytest.skip(f"{CONTRACT_URL_ENV} is unset: no live server to test")
        return ContractTarget(live_loader(url), reset=None)
    return ContractTarget(asgi_loader(contract_app), reset=emptier(contract_app))


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
