"""Fixtures of the conformance tests: the target, a recording client, a fresh account."""

from __future__ import annotations

import pytest

from quality_gates.conformance.client import Account, TargetClient
from quality_gates.conformance.evidence import EvidenceLog
from quality_gates.conformance.plugin import LOG_KEY, active_target
from quality_gates.conformance.properties._lockout import before_credentials
from quality_gates.conformance.target import Target


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    """The service under test; without one every test is skipped, saying how to give one."""
    found = active_target(pytestconfig)
    if found is None:
        pytest.skip("no target: give --target-profile FILE (and --target-url URL)")
    return found


@pytest.fixture
def client(target: Target, request: pytest.FixtureRequest) -> TargetClient:
    """A client whose exchanges become this test's evidence; not run after a client-wide lock."""
    log = EvidenceLog()
    request.node.stash[LOG_KEY] = log
    client = TargetClient(target.connection, log)
    before_credentials(client, target)
    return client


@pytest.fixture
def account(client: TargetClient) -> Account:
    """A freshly registered account."""
    return client.account()
