"""coverage.py and diff-cover, used as they are made to be used.

The data file is opened with coverage's API to validate it and list what it measured. Reports
that need the source files (JSON, Cobertura XML) and diff-cover run in one subprocess in the
repository (``coverage_worker``), so relative paths, the repository's own coverage configuration
and diff-cover's path matching all resolve exactly as they do when a developer runs them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coverage import CoverageData
from coverage.exceptions import CoverageException

from quality_gates.coverage_worker import NO_DATA
from quality_gates.errors import InputError

TIMEOUT = 600  # seconds; a report of a large project takes a while, a hang must not
_MEASURE_VARIABLES = frozenset({"COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG"})


@dataclass(frozen=True)
class DataSummary:
    """What the data file says before any report: files measured, branch or not."""

    measured: tuple[str, ...]
    has_branches: bool
    unmapped: tuple[str, ...]  # measured paths that do not exist here (path mapping)


@dataclass(frozen=True)
class FileCoverage:
    """coverage.py's numbers for one file."""

    statements: int
    covered_lines: int
    branches: int
    covered_branches: int
    missing_lines: frozenset[int] = frozenset()
    missing_branches: Mapping[int, tuple[int, ...]] = field(default_factory=dict)

    @property
    def measured(self) -> int:
        """Statements plus branches, coverage.py's denominator."""
        return self.statements + self.branches

    @property
    def covered(self) -> int:
        """Covered statements plus covered branches."""
        return self.covered_lines + self.covered_branches


@dataclass(frozen=True)
class ChangedLineStats:
    """diff-cover's verdict on one file's changed lines."""

    covered: tuple[int, ...]
    violations: tuple[int, ...]


def read_data(data_file: Path, repo: Path) -> DataSummary:
    """Validate the data file; raise ``InputError`` when it is missing, corrupt or empty."""
    if not data_file.is_file():
        parallel = sorted(data_file.parent.glob(data_file.name + ".*"))
        hint = (
            f"; found {len(parallel)} parallel data file(s): run `coverage combine` first"
            if parallel
            else "; run the tests under coverage first (coverage run -m pytest)"
        )
        raise InputError(f"coverage data {data_file}: not found{hint}")
    data = CoverageData(basename=str(data_file))
    try:
        data.read()
        measured = tuple(sorted(data.measured_files()))
        has_branches = data.has_arcs()
    except (CoverageException, OSError) as exc:
        raise InputError(f"coverage data {data_file}: unreadable: {exc}") from None
    if not measured:
        raise InputError(f"coverage data {data_file}: measured no file (did the tests run?)")
    unmapped = tuple(path for path in measured if not (repo / path).exists())
    return DataSummary(measured, has_branches, unmapped)


def _run_module(repo: Path, module: str, *args: str) -> subprocess.CompletedProcess[str]:
    # When the gates themselves run under coverage (our own test suite does), these variables
    # would make the report commands measure themselves into the checked repository.
    env = {k: v for k, v in os.environ.items() if k not in _MEASURE_VARIABLES}
    # The worker is part of this package; make it importable even from a source checkout.
    here = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [here, env.get("PYTHONPATH")]))
    return subprocess.run(  # noqa: S603 - our own interpreter and a fixed module
        [sys.executable, "-m", module, *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def relative(path: str, repo: Path) -> str:
    """A measured path as a repository-relative POSIX path (unchanged when outside)."""
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            return candidate.resolve().relative_to(repo.resolve()).as_posix()
        except ValueError:
            return path
    return candidate.as_posix()


def _parse_files(document: dict[str, Any], repo: Path) -> dict[str, FileCoverage]:
    files: dict[str, FileCoverage] = {}
    for name, entry in document.get("files", {}).items():
        summary = entry["summary"]
        missing_branches: dict[int, list[int]] = {}
        for source, target in entry.get("missing_branches", []):
            missing_branches.setdefault(source, []).append(target)
        files[relative(name, repo)] = FileCoverage(
            statements=summary["num_statements"],
            covered_lines=summary["covered_lines"],
            branches=summary.get("num_branches", 0),
            covered_branches=summary.get("covered_branches", 0),
            missing_lines=frozenset(entry.get("missing_lines", [])),
            missing_branches={line: tuple(t) for line, t in missing_branches.items()},
        )
    return files


def measure(
    repo: Path, data_file: Path, diff_text: str | None, workdir: Path
) -> tuple[dict[str, FileCoverage], dict[str, ChangedLineStats]]:
    """Per-file numbers from coverage.py, and diff-cover's per-file verdict on ``diff_text``.

    diff-cover runs with branch coverage on, so a partly covered branch counts as uncovered.
    With ``diff_text`` None only the per-file numbers are made.
    """
    json_out, xml_out = workdir / "coverage.json", workdir / "coverage.xml"
    diff_file, diff_out = workdir / "changes.diff", workdir / "diff-cover.json"
    args = [str(data_file), str(json_out)]
    if diff_text is not None:
        diff_file.write_text(diff_text, encoding="utf-8")
        args += [str(xml_out), str(diff_file), str(diff_out)]
    completed = _run_module(repo, "quality_gates.coverage_worker", *args)
    if completed.returncode == NO_DATA:
        return {}, {}
    if completed.returncode != 0:
        output = (completed.stderr or completed.stdout).strip().splitlines()
        raise InputError(
            f"coverage report failed: {output[-1] if output else completed.returncode}"
        )
    files = _parse_files(json.loads(json_out.read_text(encoding="utf-8")), repo)
    if diff_text is None:
        return files, {}
    stats = json.loads(diff_out.read_text(encoding="utf-8")).get("src_stats", {})
    return files, {
        path: ChangedLineStats(tuple(entry["covered_lines"]), tuple(entry["violation_lines"]))
        for path, entry in stats.items()
    }
