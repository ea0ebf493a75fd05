"""Run some test files with pytest in a tree and read each test's outcome from JUnit XML.

pytest runs as ``python -m pytest`` with the tree as working directory, rootdir and first
``PYTHONPATH`` entry, so the tree's own package is imported even when another checkout of it is
installed. Outcomes are keyed by pytest node id (``tests/test_a.py::TestX::test_y[p]``), mapped
back from JUnit's dotted class names through the files that were run. A file that fails to
collect is one outcome for the file itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from quality_gates.errors import InputError
from quality_gates.incident.junit import Case, load_junit

# pytest's exit codes: 0 all passed, 1 some failed, 2 interrupted, 5 no tests collected.
_JUDGED = (0, 1, 2, 5)
_JUNIT = ".quality-gates-behaviour.xml"


@dataclass(frozen=True)
class Outcome:
    """One test's (or one uncollectable file's) result."""

    node_id: str
    outcome: str  # passed, failed, skipped
    detail: str = ""


@dataclass(frozen=True)
class Run:
    """The outcomes of a run, by node id; ``broken`` maps a file that did not collect to why."""

    outcomes: dict[str, Outcome]
    broken: dict[str, str]


def _dotted(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def node_id(case: Case, files: Sequence[str]) -> str | None:
    """The node id of a JUnit case, given the files that ran; None for a file-level error."""
    for path in sorted(files, key=len, reverse=True):
        module = _dotted(path)
        if case.classname == module or case.classname.startswith(module + "."):
            classes = case.classname[len(module) + 1 :]
            parts = [path, *(classes.split(".") if classes else []), case.name]
            return "::".join(parts)
    return None


def _env(tree: Path, environ: Mapping[str, str]) -> dict[str, str]:
    # Not measured by an enclosing coverage run: the gate's own tests run under coverage.
    env = {k: v for k, v in environ.items() if not k.startswith("COVERAGE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tree), environ.get("PYTHONPATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(args: list[str], tree: Path, env: dict[str, str], timeout: float) -> tuple[int, str]:
    process = subprocess.Popen(  # noqa: S603 - the interpreter running the gate, fixed args
        args,
        cwd=tree,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own group: a timeout stops the servers a test started
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise InputError(
            f"pytest on the re-run test files took over {timeout:.0f} s "
            "(tool.quality_gates.behaviour.timeout)"
        ) from None
    return process.returncode, output


def run_tests(
    tree: Path,
    files: Sequence[str],
    *,
    python: str,
    pytest_args: Sequence[str],
    timeout: float,
    environ: Mapping[str, str],
) -> Run:
    """Run ``files`` (paths relative to ``tree``) and return every outcome."""
    junit = tree / _JUNIT
    args = [
        python,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--rootdir={tree}",
        f"--junitxml={junit}",
        "--continue-on-collection-errors",
        *pytest_args,
        *files,
    ]
    code, output = _run(args, tree, _env(tree, environ), timeout)
    if code not in _JUDGED or (code != 5 and not junit.is_file()):
        tail = " | ".join(line for line in output.strip().splitlines()[-3:] if line.strip())
        raise InputError(f"pytest could not run the test files (exit {code}): {tail}")
    outcomes: dict[str, Outcome] = {}
    broken: dict[str, str] = {}
    for case in load_junit(junit, _JUNIT) if junit.is_file() else []:
        found = node_id(case, files)
        if found is not None:
            outcomes[found] = Outcome(found, case.outcome, case.detail)
            continue
        path = next((f for f in files if _dotted(f) == case.name), None)
        if path is not None and case.outcome == "failed":
            broken[path] = case.detail or "the file does not collect"
    return Run(outcomes, broken)
