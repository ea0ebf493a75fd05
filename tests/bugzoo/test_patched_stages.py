"""Stages that run the patched code: the tests stage (also in the processes live suites
start) and the behaviour stage (the baseline's tests on the patched code, with the patch's body).

The zoo's interpreter has the main checkout installed; a live suite starts its server from
another folder, where ``python -m`` no longer puts the worktree first. Here the "installed"
checkout is the throw-away repository itself, on ``PYTHONPATH``, as an editable install puts it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bugzoo._zoo import BENIGN_META, BUG_META, Zoo
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


def test_the_behaviour_stage_reads_the_patch_body(
    cli: CLI, zoo: Zoo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same edit of a rule and its test: blocked without a declaration, passed with one
    in ``<slug>.md`` (the zoo judges no approvals)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # the re-runs need no plugin
    test = "from probe import answer\n\n\ndef test_answer():\n    assert answer() == {}\n"
    zoo.repo.write("probe.py", "def answer():\n    return 1\n")
    zoo.repo.write("tests/test_probe.py", test.format(1))
    zoo.repo.commit("a rule and its test")
    zoo.repo.write("probe.py", "def answer():\n    return 2\n")
    zoo.repo.write("tests/test_probe.py", test.format(2))
    patch = zoo.repo.git("diff")
    zoo.repo.git("checkout", "-q", "--", ".")
    expected = {**BUG_META, "expected_gates": ["behaviour"]}
    zoo.add("rule-changed-quietly", patch, expected)
    zoo.add("rule-changed-openly", patch, BENIGN_META)
    zoo.path.joinpath("rule-changed-openly.md").write_text(
        "The answer is now 2.\n\n"
        "behaviour-change: tests/test_probe.py::test_answer — the answer moves to 2 on purpose\n",
        encoding="utf-8",
    )
    results = tmp_path / "zoo.json"
    run = cli("run", "--stages", "behaviour", "--results", str(results))
    assert run.code == 0, run.err
    stages = {p["slug"]: p["stages"][0] for p in json.loads(results.read_text("utf-8"))["patches"]}
    assert stages["rule-changed-quietly"]["status"] == "fail"
    assert (
        "tests/test_probe.py::test_answer passed on the baseline"
        in (stages["rule-changed-quietly"]["reason"])
    )
    assert stages["rule-changed-openly"]["status"] == "pass"
    assert stages["rule-changed-openly"]["reason"] == "1 behaviour change(s), each declared"
