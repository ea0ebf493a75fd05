"""The tests stage judges the patched tree, also in the processes live suites start.

The zoo's interpreter has the main checkout installed; a live suite starts its server from
another folder, where ``python -m`` no longer puts the worktree first. Here the "installed"
checkout is the throw-away repository itself, on ``PYTHONPATH``, as an editable install puts it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bugzoo._zoo import BUG_META, Zoo
from tests.gates._repo import CLI

LIVE_TEST = '''
import subprocess
import sys


def test_the_server_process_answers_one(tmp_path):
    """A "server" started elsewhere, as live suites start authsvc."""
    done = subprocess.run(
        [sys.executable, "-c", "import probe; print(probe.answer())"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )
    assert done.stdout.strip() == "1"
'''


def test_a_live_suite_runs_the_patched_code(
    cli: CLI, zoo: Zoo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The patch breaks what the child process computes: the tests stage blocks it."""
    zoo.repo.write("probe.py", "def answer():\n    return 1\n")
    zoo.repo.write("tests/test_live.py", LIVE_TEST)
    zoo.repo.commit("a live test")
    monkeypatch.setenv("PYTHONPATH", str(zoo.repo.path))  # the unpatched checkout, installed
    zoo.add("off-by-one", zoo.diff("probe.py", "def answer():\n    return 2\n"), BUG_META)
    results = tmp_path / "zoo.json"
    run = cli("run", "--stages", "tests", "--tests", "tests", "--results", str(results))
    assert run.code == 0, run.err
    (patch,) = json.loads(results.read_text(encoding="utf-8"))["patches"]
    (stage,) = patch["stages"]
    assert stage["status"] == "fail", stage
    assert "test_the_server_process_answers_one" in stage["reason"]
