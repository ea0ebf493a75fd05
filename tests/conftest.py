"""Root test configuration: the folder a test lives in is its kind.

Every test under ``tests/<kind>/`` gets the ``<kind>`` marker, so ``-m unit`` or
``-m "not integration"`` select by folder. A test file outside the known folders
is an error, not a silently unmarked test.

Two opt-ins skip, with the reason, what costs minutes: ``--integration`` (real servers and
databases; also tests/packaging/, the framework's wheel in a fresh venv) and ``--replay-bars``
(the replay gate's bars, run by ``nox -s replay-bars``).

Under pytest-xdist (``nox -s tests`` runs ``-n auto``), :class:`SharedServerScheduling` hands
work out in units: a folder whose tests share session-scoped servers is one unit (one worker
starts its PostgreSQL cluster and live services once, as without xdist), so are the replay
bars (one environment cache), and every other test module is a unit. docs/testing.md says more.
"""

from __future__ import annotations

import os
from pathlib import Path

import coverage
import pytest
from hypothesis import HealthCheck, Verbosity, settings
from xdist.scheduler import LoadScopeScheduling

KINDS = (
    "unit",
    "property",
    "contract",
    "integration",
    "gates",
    "conformance",
    "bugzoo",
    "packaging",
)
#: Kinds that start real servers or build real environments: opt-in with ``--integration``.
OPT_IN = ("integration", "packaging")
#: Kinds whose tests share session-scoped servers (live services, a PostgreSQL cluster).
SHARED_SERVERS = ("contract", "integration", "conformance")
#: The modules of tests marked ``replay_bars``; they share a session-scoped replay cache.
REPLAY_BAR_MODULES = ("tests/gates/test_replay_bars.py", "tests/gates/test_replay_migration.py")
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
        if kind in OPT_IN and not run_integration:
            item.add_marker(skip_integration)
        if item.get_closest_marker("replay_bars") is not None:
            if f"tests/{relative.as_posix()}" not in REPLAY_BAR_MODULES:
                raise pytest.UsageError(
                    f"{relative}: a replay bar outside {REPLAY_BAR_MODULES} (tests/conftest.py)"
                )
            if not run_replay_bars:
                item.add_marker(skip_replay_bars)


class SharedServerScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist is untyped
    """pytest-xdist's scope scheduling, with this suite's units of work (see the docstring).

    ``--dist loadgroup`` would do this with marks, but it renames node ids, which pytest 9.2
    no longer allows (the marks are ignored); a scheduler sees only node ids, so it works on
    the folder and module part of each id.
    """

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        parts = module.split("/")
        if len(parts) > 2 and parts[0] == "tests" and parts[1] in SHARED_SERVERS:
            return parts[1]
        if module in REPLAY_BAR_MODULES:
            return "replay_bars"
        return module


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> SharedServerScheduling:
    """The scheduler of every parallel run of this suite."""
    return SharedServerScheduling(config, log)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """On an xdist worker, save the coverage data as soon as its tests are done.

    coverage.py saves a measured process's data at exit, and a worker that is stopped before
    its exit handlers run loses its whole share without a word: one CI run of the merged
    branches ended at 81% instead of 93%, with one process's data file left empty. Saving here,
    while the worker still runs, is what pytest-cov does for xdist; with it the same run
    measured 94%.
    """
    if not hasattr(session.config, "workerinput"):
        return
    cov = coverage.Coverage.current()
    if cov is None:
        return
    cov.stop()
    cov.save()
    # Nothing more to measure; at exit coverage would write the same data again, and a worker
    # stopped during that second write would leave a truncated file in place of good data.
    cov._auto_save = False  # coverage has no public switch for its exit save
