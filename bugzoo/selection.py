"""The tests stage's selection: only the tests that execute what a patch changes.

Once per zoo run, the tests stage's suite runs on the baseline under coverage with each test's
node id as its context (``quality_gates.testmap``), and the map it gives is cached by
(baseline commit, lock, pytest arguments). Each patch then runs the tests that executed a file
it changes, the test modules it edits, and the incident guards, all within the stage's own
paths; the whole stage's suite when the map cannot answer (a conftest, the lock, a data file).
docs/benchmarks.md ("Test selection") says why the coverage gate judges the changed lines on
the same data.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from bugzoo import proc
from bugzoo.worktree import temporary_worktree
from quality_gates.errors import InputError
from quality_gates.testmap import store
from quality_gates.testmap.cli import incident_guards, key_for
from quality_gates.testmap.select import select

CONTEXTS = ("-p", "quality_gates.testmap.contexts")
MAP_TIMEOUT = 1200.0


def _paths_only(pytest_args: Sequence[str]) -> bool:
    """Selection narrows paths; arguments that are options (``-k``, ``-m``) keep the suite."""
    return bool(pytest_args) and not any(arg.startswith("-") for arg in pytest_args)


def _in_scope(test: str, scope: Sequence[str]) -> bool:
    path = test.split("::", 1)[0]
    return any(path == s.rstrip("/") or path.startswith(s.rstrip("/") + "/") for s in scope)


def baseline_map(
    repo: Path,
    base: str,
    pytest_args: Sequence[str],
    environ: Mapping[str, str],
    *,
    cache: Path,
    python: str = sys.executable,
) -> store.TestMap | None:
    """The map of ``pytest_args`` on ``base``: from the cache, else made now (and cached).

    ``None`` when the suite cannot be narrowed or the baseline run fails (every patch then runs
    the whole suite, as without selection).
    """
    if not _paths_only(pytest_args):
        return None
    key = key_for(repo, base, pytest_args)
    found = store.load(cache / f"{key}.json", key)
    if found is not None:
        return found
    with temporary_worktree(repo, base, "testmap") as worktree:
        data = worktree / ".coverage"
        imports = os.pathsep.join(filter(None, [str(worktree), environ.get("PYTHONPATH", "")]))
        env = proc.clean_env(environ, COVERAGE_FILE=str(data), PYTHONPATH=imports)
        coverage = [python, "-m", "coverage"]
        pytest = ["run", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-seed=0"]
        done = proc.run(
            [*coverage, *pytest, *CONTEXTS, *pytest_args],
            cwd=worktree,
            env=env,
            timeout=MAP_TIMEOUT,
        )
        if done.returncode != 0:
            sys.stderr.write(f"bugzoo: the baseline's test run failed (exit {done.returncode})\n")
            return None
        proc.run([*coverage, "combine", "--quiet"], cwd=worktree, env=env, timeout=MAP_TIMEOUT)
        try:
            test_map = store.from_coverage(data, worktree, key)
        except InputError as exc:
            sys.stderr.write(f"bugzoo: no test map: {exc}\n")
            return None
    store.save(test_map, cache / f"{key}.json")
    return test_map


def tests_for(
    worktree: Path, base: str, pytest_args: Sequence[str], test_map: store.TestMap | None
) -> tuple[tuple[str, ...], str]:
    """The pytest arguments for the patch in ``worktree``, and why (empty when it is all)."""
    if test_map is None or not _paths_only(pytest_args):
        return tuple(pytest_args), ""
    names = proc.git(worktree, "diff", "--name-only", "--no-renames", "-z", base, "HEAD")
    listed = proc.git(worktree, "ls-files", "-z")
    if names.returncode != 0 or listed.returncode != 0:
        return tuple(pytest_args), ""
    changed = [p for p in names.stdout.split("\0") if p]
    guards = incident_guards(worktree, "postmortems", "incident", "tests")
    selection = select(
        changed,
        test_map,
        existing=frozenset(p for p in listed.stdout.split("\0") if p),
        always=guards,
    )
    chosen = [t for t in selection.tests or () if _in_scope(t, pytest_args)]
    if selection.tests is None or not chosen:  # nothing in scope: keep the whole stage
        return tuple(pytest_args), ""
    return tuple(chosen), selection.reason
