"""Developer and CI jobs. ``nox`` alone runs the pre-merge gate; ``nox -l`` lists the rest.

Every session installs from ``uv.lock`` (``uv sync --frozen``), never from loose
requirements: an unpinned upgrade of a hashing or JWT library is exactly the kind of
update this project exists to catch, so the harness must not introduce one by itself.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv"
nox.options.error_on_missing_interpreters = True
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "typecheck", "gate"]

PYTHON = "3.11"
ROOT = Path(__file__).parent
REPORTS = ROOT / "reports"


def _sync(session: nox.Session, *groups: str) -> None:
    """Install the project and the named dependency groups exactly as locked."""
    session.env["UV_PROJECT_ENVIRONMENT"] = session.virtualenv.location
    args = ["uv", "sync", "--frozen", "--no-default-groups"]
    for group in groups:
        args += ["--group", group]
    session.run_install(*args, silent=True)


def _coverage_reports(session: nox.Session, *, append: bool) -> None:
    """Combine the parallel data files into ``.coverage`` and write the reports from it.

    ``append`` keeps what ``.coverage`` already holds (the last test run's data) and adds to it.
    """
    combine = ["coverage", "combine", "--quiet", *(["--append"] if append else [])]
    session.run(*combine, success_codes=[0, 1])  # 1: no parallel data to combine
    session.run("coverage", "xml", "-o", str(REPORTS / "coverage.xml"), "--quiet")
    session.run("coverage", "json", "-o", str(REPORTS / "coverage.json"), "--quiet")
    session.run("coverage", "report")


#: pytest-xdist: one worker per core, work handed out by tests/conftest.py's scheduler (a folder
#: that shares session-scoped servers, or a test module, at a time). Coverage follows the workers
#: (``patch = ["subprocess"]``) and ``coverage combine`` merges their files; the controller
#: writes the one JUnit report. ``-- -n 0`` turns it off.
PARALLEL = ["--numprocesses", "auto"]


#: Coverage contexts are the tests' node ids, so every full run gives the test map of its commit
#: (quality_gates/testmap), which `nox` then uses to run only the tests a change needs. Not in
#: CI: a fresh clone keeps no cache, so there the contexts would cost and give nothing.
CONTEXTS = [] if os.environ.get("CI") else ["-p", "quality_gates.testmap.contexts"]


def _tests_impl(session: nox.Session, pytest_args: list[str]) -> None:
    """Run the test suite under coverage, in parallel, and leave reports in ``reports/``."""
    # mutmut too: the mutation gate's own tests drive it, and `gate` runs the gate.
    _sync(session, "test", "mutation")
    REPORTS.mkdir(exist_ok=True)
    session.env.setdefault("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
    session.env["COVERAGE_FILE"] = str(ROOT / ".coverage")
    session.run("coverage", "erase")
    session.run(
        "coverage",
        "run",
        "-m",
        "pytest",
        f"--junitxml={REPORTS / 'junit.xml'}",
        *PARALLEL,
        *CONTEXTS,
        *pytest_args,
    )
    _coverage_reports(session, append=False)


def _clean_checkout() -> bool:
    """The working tree is a commit exactly (a test map describes a commit, not a draft)."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607 - git from PATH
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return status.returncode == 0 and not status.stdout.strip()


def _save_test_map(session: nox.Session, pytest_args: list[str]) -> None:
    """Cache the test map of this full run when it ran on a clean checkout of a commit."""
    if CONTEXTS and _clean_checkout():
        session.run("python", "-m", "quality_gates.testmap", "build", "--", *pytest_args)


#: What ``tests`` and ``gate`` run: every suite (integration included) and the replay bars, in
#: one parallel run, so the coverage gate judges the same data whichever session produced it.
ALL_TESTS = ["--integration", "--replay-bars"]

#: The replay gate's bars (tests/gates/test_replay_bars.py, test_replay_migration.py): opt-in,
#: see tests/conftest.py.
REPLAY_BARS = ["--replay-bars", "-m", "replay_bars", "tests/gates"]


def _replay_bars_impl(session: nox.Session, pytest_args: list[str]) -> None:
    """Run the replay bars under coverage and add their data to the last test run's.

    Appended, not erased, so ``nox -s tests -- --integration`` then ``nox -s replay-bars``
    leaves the same data as ``nox -s tests`` alone, which runs both.
    """
    REPORTS.mkdir(exist_ok=True)
    session.env["COVERAGE_FILE"] = str(ROOT / ".coverage")
    session.run(
        "coverage",
        "run",
        "-m",
        "pytest",
        f"--junitxml={REPORTS / 'replay-bars-junit.xml'}",
        *REPLAY_BARS,
        *pytest_args,
    )
    _coverage_reports(session, append=True)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run every test suite (unit, property, contract, gates, integration) and the replay
    gate's bars, in parallel, with coverage: the results every gate session then reads.

    Arguments after ``--`` replace the defaults (e.g. ``tests/unit``, or ``--integration`` to
    leave the bars out).
    """
    _tests_impl(session, session.posargs or ALL_TESTS)
    if not session.posargs:
        _save_test_map(session, ALL_TESTS)


@nox.session(name="replay-bars", python=PYTHON, default=False)
def replay_bars(session: nox.Session) -> None:
    """Run the replay gate's bars (about 3 minutes), adding to the last test run's coverage.

    Arguments after ``--`` go to pytest (e.g. ``-k pbkdf2``).
    """
    _sync(session, "test")
    _replay_bars_impl(session, session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Run the pre-commit hooks (ruff, format, file checks, snapshot drift) on all files."""
    _sync(session, "lint")
    session.run("pre-commit", "run", "--all-files", "--show-diff-on-failure", *session.posargs)


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """Type-check the packages, tests, benchmarks and this file with mypy --strict."""
    _sync(session, "typing")
    session.run("mypy", *session.posargs)


#: The database of ``serve``, named absolutely so that ``conformance`` can hand the same file to
#: the profile's hooks, which run in ``profiles/`` (a relative URL would name another file).
DEV_DATABASE_URL = f"sqlite:///{ROOT / 'authsvc.db'}"


def _dev_database(session: nox.Session) -> None:
    """Name ``DEV_DATABASE_URL`` unless the caller's environment names a database itself."""
    # session.env holds only what nox adds to the caller's environment, which it inherits.
    if "AUTHSVC_DATABASE_URL" not in os.environ:
        session.env["AUTHSVC_DATABASE_URL"] = DEV_DATABASE_URL


def _terminate_as_interrupt(signum: int, frame: object) -> None:  # noqa: ARG001
    raise KeyboardInterrupt


@nox.session(python=PYTHON, default=False)
def serve(session: nox.Session) -> None:
    """Start authsvc on 127.0.0.1:8000 with the SQLite file authsvc.db, in development mode.

    Arguments after ``--`` go to ``authsvc serve`` (e.g. ``--port 8001``).
    """
    _sync(session)
    session.env.setdefault("AUTHSVC_DEV_MODE", "true")
    _dev_database(session)
    # SIGTERM would end nox alone and leave the server running: unwind as on Ctrl-C instead,
    # where nox stops its child (SIGTERM at once, time for uvicorn's graceful stop, then kill).
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    session.run("authsvc", "serve", *session.posargs, interrupt_timeout=0.01, terminate_timeout=15)


@nox.session(python=PYTHON, default=False)
def conformance(session: nox.Session) -> None:
    """Run the conformance suite against ``nox -s serve`` (start that first, in another shell).

    Arguments after ``--`` go to ``quality-gates conformance`` (e.g. a URL, ``-k lockout``).
    """
    _sync(session, "test")  # the suite runs on pytest
    # The hooks (seeding, reading a stored hash) work on the database of `nox -s serve`.
    _dev_database(session)
    # The profile's target.base_url is where `nox -s serve` listens; a URL given wins.
    profile = str(ROOT / "profiles" / "authsvc.toml")
    session.run("quality-gates", "conformance", "--profile", profile, *session.posargs)


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Benchmark login throughput and latency (prints numbers; see docs/benchmarks.md)."""
    _sync(session, "test")
    session.run("python", "bench/login_bench.py", *session.posargs)


@nox.session(name="replay-bench", python=PYTHON, default=False)
def replay_bench(session: nox.Session) -> None:
    """Benchmark the replay gate on 1,000 and 10,000 accounts (see docs/benchmarks.md)."""
    _sync(session, "test")
    session.run("python", "bench/replay_bench.py", *session.posargs)


GATE_REPORTS = [
    f"--report=markdown={REPORTS / 'gate.md'}",
    f"--report=html={REPORTS / 'gate.html'}",
    f"--report=junit={REPORTS / 'gate-junit.xml'}",
    f"--report=json={REPORTS / 'gate.json'}",
]


#: Suites the test map cannot see into: they drive authsvc in server processes they start
#: (measured, but outside any test's context), so a change to authsvc runs them whole. The
#: replay bars replay versions of authsvc to judge the replay gate itself: they run whole when
#: the replay's code changes, and in CI on every merge; on a change to authsvc the replay gate
#: judges that change directly (docs/benchmarks.md, "Test selection").
REPLAY_BAR_MODULES = ("tests/gates/test_replay_bars.py", "tests/gates/test_replay_migration.py")
#: Conformance modules that judge the suite against its own defect target
#: (tests/conformance/defect_target), never authsvc: a change to authsvc cannot change their
#: verdict. A change to the suite reaches them through the map (the suite runs in-process); a
#: change to the defect target (a test helper) runs the whole suite.
#: tests/conformance/test_defect_target.py checks that none of them starts authsvc.
DEFECT_TARGET_MODULES = (
    "tests/conformance/test_defect_target.py",
    "tests/conformance/test_defect_zoo.py",
    "tests/conformance/test_lockout_checks.py",
)
#: Every other conformance module: a new one drives authsvc unless listed above.
AUTHSVC_CONFORMANCE = tuple(
    path
    for path in sorted(
        p.relative_to(ROOT).as_posix() for p in ROOT.glob("tests/conformance/test_*.py")
    )
    if path not in DEFECT_TARGET_MODULES
)
UNMAPPED_SUITES = [
    *(
        f"authsvc/**={suite}"
        for suite in ("tests/contract", "tests/integration", *AUTHSVC_CONFORMANCE)
    ),
    *(
        f"{path}={bar}"
        for path in ("quality_gates/replay/**", "quality_gates/gates/replay.py")
        for bar in REPLAY_BAR_MODULES
    ),
]

#: With a selection, the coverage gate judges the changed lines (the selected tests are every
#: test that executes the changed files, so their data for those files is the whole suite's);
#: the total and per-path floors need the whole suite and are judged by `nox -s tests` in CI.
SELECTION_FLOORS = ["--coverage-fail-under", "0", "--coverage-critical-fail-under", "0"]


def _selected_tests(session: nox.Session) -> list[str] | None:
    """The tests this change needs, from the baseline's test map; ``None``: the whole suite."""
    also = [arg for pair in UNMAPPED_SUITES for arg in ("--also", pair)]
    command = ["python", "-m", "quality_gates.testmap", "select", *also, "--", *ALL_TESTS]
    out = session.run(*command, silent=True, success_codes=[0, 2])  # 2: bad input, see below
    try:
        answer = json.loads(str(out).strip().splitlines()[-1])
    except (ValueError, IndexError):
        session.warn("test selection gave no answer: the whole suite runs")
        return None
    session.log(f"test selection: {answer['reason']}")
    tests = answer["tests"]
    return None if tests is None or not tests else [str(t) for t in tests]


@nox.session(python=PYTHON)
def gate(session: nox.Session) -> None:
    """The pre-merge gate: test suites and replay bars with coverage, every gate, one report.

    The tests are those the change needs, from the test map of its baseline (the last
    ``nox -s tests`` on that commit); without one, every suite. The replay bars run in the same
    parallel pytest run as the suites, beside them on a worker of their own. Arguments after
    ``--`` go to ``quality-gates run`` (``--body-file PR.md``).
    """
    _sync(session, "test", "mutation")
    selected = None if os.environ.get("QG_ALL_TESTS") else _selected_tests(session)
    _tests_impl(session, ALL_TESTS if selected is None else [*ALL_TESTS, *selected])
    if selected is None:
        _save_test_map(session, ALL_TESTS)
    floors = [] if selected is None else SELECTION_FLOORS
    session.run("quality-gates", "run", *floors, *GATE_REPORTS, *session.posargs)
    session.log(f"gate report: {REPORTS / 'gate.html'}")


def _gate_session(name: str, *, needs_tests: bool) -> None:
    """Define ``nox -s <name>``: one gate on its own, arguments after ``--`` passed on."""

    @nox.session(name=name, python=PYTHON, default=False, tags=["gates"])
    def _session(session: nox.Session) -> None:
        _sync(session, "test")
        if needs_tests and not (ROOT / ".coverage").exists():
            session.error(f"{name} needs the results of a test run: run `nox -s tests` first")
        session.run("quality-gates", name, *session.posargs)

    reads = " (reads the last `nox -s tests` results)" if needs_tests else ""
    _session.__doc__ = f"Run the {name} gate alone{reads}."


_gate_session("checklist", needs_tests=False)
_gate_session("coverage", needs_tests=True)
_gate_session("api-compat", needs_tests=False)
_gate_session("incidents", needs_tests=True)
_gate_session("behaviour", needs_tests=False)


@nox.session(python=PYTHON, default=False, tags=["gates"])
def mutation(session: nox.Session) -> None:
    """Mutation-test the critical functions changed since the baseline.

    ``-- --mutation-scope all``: every function of the critical paths.
    """
    _sync(session, "mutation")
    session.run("quality-gates", "mutation", *GATE_REPORTS, *session.posargs)


@nox.session(python=PYTHON, default=False, tags=["gates"])
def replay(session: nox.Session) -> None:
    """Replay a realistic user population against the baseline and this tree (docs/replay.md)."""
    _sync(session, "test")
    session.run("quality-gates", "replay", *GATE_REPORTS, *session.posargs)


@nox.session(python=PYTHON, default=False)
def bugzoo(session: nox.Session) -> None:
    """Run every patch of the bug zoo through the gate pipeline; writes docs/catch-matrix.md.

    Fails when a buggy patch gets through or a benign one is blocked (docs/bugzoo.md).
    Arguments after ``--`` go to ``python -m bugzoo run`` (e.g. ``--only SLUG``, ``--jobs 1``);
    CI passes ``--first-block`` (each buggy patch stops at its first block; no matrix written).
    """
    # The same environment as the test run: the tests stage runs the unit tests.
    _sync(session, "test", "mutation")
    session.run("python", "-m", "bugzoo", "run", *session.posargs)


@nox.session(python=PYTHON, default=False)
def demo(session: nox.Session) -> None:
    """The 2024-05-25 outage as an update, through the pre-merge gate (a few minutes).

    Prints which gates blocked it and whom it would have locked out; the HTML report is
    ``reports/demo/gate.html``. Arguments after ``--`` go to ``python -m bugzoo demo``.
    """
    _sync(session, "test", "mutation")
    session.run("python", "-m", "bugzoo", "demo", *session.posargs)


@nox.session(python=PYTHON, default=False, tags=["gates"])
def template(session: nox.Session) -> None:
    """Regenerate .github/pull_request_template.md from the policy."""
    _sync(session, "lint")  # the lint group holds the framework (the root project is authsvc)
    session.run("quality-gates", "template", *session.posargs)
