"""The parallel test run's units of work (tests/conftest.py): what shares servers stays together."""

from __future__ import annotations

import pytest

from tests.conftest import SharedServerScheduling


@pytest.mark.parametrize(
    ("nodeid", "unit"),
    [
        ("tests/integration/test_faults_live.py::test_sigkill[postgres]", "integration"),
        ("tests/integration/test_races_live.py::test_parallel[sqlite-1w]", "integration"),
        ("tests/contract/test_openapi_contract.py::test_every_operation[live]", "contract"),
        ("tests/conformance/test_live.py::test_reports_carry_no_secrets", "conformance"),
        ("tests/gates/test_replay_bars.py::test_a_a_run_passes", "replay_bars"),
        ("tests/gates/test_replay_migration.py::test_x", "replay_bars"),
        ("tests/gates/test_replay_gate.py::test_x[a-b]", "tests/gates/test_replay_gate.py"),
        ("tests/unit/test_hashing.py::test_x", "tests/unit/test_hashing.py"),
        ("tests/property/test_tokens.py::TestX::test_y", "tests/property/test_tokens.py"),
    ],
)
def test_each_test_is_handed_out_with_what_shares_its_servers(nodeid: str, unit: str) -> None:
    scheduler = object.__new__(SharedServerScheduling)  # the split needs no scheduler state
    assert scheduler._split_scope(nodeid) == unit
