"""Coverage measures the migration scripts, so a new migration is judged on what ran.

Alembic loads each script by file path under a module name of its own making, which the
``source_pkgs`` of ``[tool.coverage.run]`` cannot match; without the ``source_dirs`` entry
every line of a new migration counted as never run and failed the changed-critical-lines rule.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import coverage

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "authsvc" / "migrations"


def test_a_migration_run_under_coverage_measures_every_script(tmp_path: Path) -> None:
    """``coverage run -m authsvc migrate``, as the test suites run it: each script has data."""
    data_file = tmp_path / "migrate.coverage"
    # Not measured by an enclosing run: this process's own coverage must not follow the child.
    env = {key: value for key, value in os.environ.items() if not key.startswith("COVERAGE_")}
    env |= {
        "AUTHSVC_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}",
        "COVERAGE_FILE": str(data_file),
    }
    done = subprocess.run(
        [sys.executable, "-m", "coverage", "run", "-m", "authsvc", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    combined = coverage.Coverage(data_file=str(data_file), config_file=str(ROOT / "pyproject.toml"))
    combined.combine(data_paths=[str(tmp_path)], keep=True)
    data = combined.get_data()
    measured = {Path(name).resolve(): data.lines(name) for name in data.measured_files()}
    scripts = [*sorted((MIGRATIONS / "versions").glob("[0-9]*.py")), MIGRATIONS / "env.py"]
    assert len(scripts) >= 3
    for script in scripts:
        assert measured.get(script.resolve()), f"{script.relative_to(ROOT)} was not measured"
