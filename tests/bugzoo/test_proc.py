"""The stages' child processes: bounded in time, with their whole process group."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bugzoo import proc


def test_a_command_past_its_time_is_stopped_with_its_children(tmp_path: Path) -> None:
    """The child and the grandchild it started are both gone; the result says timed out."""
    marker = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, sys, time;"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        f"open({str(marker)!r}, 'w').write(str(p.pid));"
        "time.sleep(60)"
    )
    done = proc.run([sys.executable, "-c", script], cwd=tmp_path, env={}, timeout=8.0)
    assert done.timed_out
    assert done.seconds < 30
    pid = int(marker.read_text())
    # The group was signalled before run() returned, but on a loaded machine the grandchild may
    # still be on its way out (seen in state R, ppid 1, a moment later): wait for it, bounded.
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return "zombie"


def test_output_and_exit_code(tmp_path: Path) -> None:
    """A command that ends in time: its code and both streams."""
    script = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
    done = proc.run([sys.executable, "-c", script], cwd=tmp_path, env={}, timeout=30)
    assert (done.returncode, done.stdout, done.stderr) == (3, "out\n", "err\n")
    assert not done.timed_out


def test_coverage_of_an_enclosing_run_does_not_follow() -> None:
    """COVERAGE_* variables are dropped; the others kept, and extras added."""
    env = proc.clean_env(
        {"COVERAGE_PROCESS_START": "x", "COVERAGE_FILE": "y", "PATH": "/bin"}, EXTRA="1"
    )
    assert env == {"PATH": "/bin", "EXTRA": "1"}
