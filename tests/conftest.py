"""Root test configuration: the folder a test lives in is its kind.

Every test under ``tests/<kind>/`` gets the ``<kind>`` marker, so ``-m unit`` or
``-m "not integration"`` select by folder. A test file outside the known folders
is an error, not a silently unmarked test.

Two opt-ins skip, with the reason, what costs minutes: ``--integration`` (real servers and
databases) and ``--replay-bars`` (the replay gate's bars, run by ``nox -s replay-bars``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Verbosity, settings

KINDS = ("unit", "property", "contract", "integration", "gates", "conformance", "bugzoo")
TESTS_ROOT = Path(__file__).parent

# Hypothesis profiles, chosen with HYPOTHESIS_PROFILE (default: dev).
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "debug",
    max_examples=10,
    deadline=None,
    verbosity=Verbosity.verbose,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("auth-quality-gates")
    group.addoption(
        "--integration",
        action="store_true",
        default=False,
        help="also run tests/integration (real uvicorn processes and databases)",
    )
    group.addoption(
        "--replay-bars",
        action="store_true",
        default=False,
        help="also run the replay gate's bars (tests marked replay_bars; nox -s replay-bars)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run_integration = config.getoption("--integration")
    skip_integration = pytest.mark.skip(reason="integration test: pass --integration to run")
    run_replay_bars = config.getoption("--replay-bars")
    # The replay gate's bars replay real candidate commits (minutes in all): they are that
    # gate's acceptance tests, run in a session of their own to keep `nox -s tests` short.
    skip_replay_bars = pytest.mark.skip(
        reason="replay gate bar: runs in nox -s replay-bars (pass --replay-bars to run)"
    )
    for item in items:
        relative = Path(str(item.path)).resolve().relative_to(TESTS_ROOT.resolve())
        kind = relative.parts[0]
        if kind not in KINDS:
            raise pytest.UsageError(
                f"{relative}: tests must live in one of tests/{{{','.join(KINDS)}}}/"
            )
        item.add_marker(getattr(pytest.mark, kind))
        if kind == "integration" and not run_integration:
            item.add_marker(skip_integration)
        if not run_replay_bars and item.get_closest_marker("replay_bars") is not None:
            item.add_marker(skip_replay_bars)
