"""Child processes: each in its own process group, bounded in time, stopped on Ctrl-C.

The stages run commands that start servers of their own (the replay gate); a timeout or an
interrupt signals the whole group, SIGTERM first so that those commands clean up.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_GRACE_SECONDS = 20.0
_running: set[subprocess.Popen[str]] = set()
_lock = threading.Lock()
#: Set by :func:`stop_all`: no new command starts after an interrupt.
_stopping = threading.Event()


@dataclass(frozen=True)
class Completed:
    """What a command did: its exit code (``None`` after a timeout) and its output."""

    returncode: int | None
    stdout: str
    stderr: str
    seconds: float

    @property
    def timed_out(self) -> bool:
        """Whether the command was stopped at its time limit."""
        return self.returncode is None


def clean_env(base: Mapping[str, str], **extra: str) -> dict[str, str]:
    """``base`` without the coverage.py variables of an enclosing measured run, plus ``extra``.

    A stage measures (or not) on its own terms: coverage started by a parent ``coverage run``
    (``patch = subprocess``) must not follow into it.
    """
    env = {k: v for k, v in base.items() if not k.startswith("COVERAGE_")}
    env.update(extra)
    return env


def run(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    cleanup: bool = False,
) -> Completed:
    """Run ``args`` in ``cwd``; past ``timeout`` seconds its process group is stopped.

    After an interrupt nothing starts any more (an empty result, ``timed_out``) but a
    ``cleanup`` command: removing what the run made.
    """
    start = time.monotonic()
    if _stopping.is_set() and not cleanup:
        return Completed(None, "", "interrupted", 0.0)
    process = subprocess.Popen(  # noqa: S603 - the stages' own fixed commands
        list(args),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    with _lock:
        _running.add(process)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
        code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        _stop(process)
        stdout, stderr = process.communicate()
        code = None
    finally:
        with _lock:
            _running.discard(process)
    return Completed(code, stdout, stderr, time.monotonic() - start)


def _signal_group(process: subprocess.Popen[str], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _stop(process: subprocess.Popen[str]) -> None:
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait()


def stop_all() -> None:
    """Stop every command still running (after Ctrl-C), SIGTERM then SIGKILL; start no more."""
    _stopping.set()
    with _lock:
        running = list(_running)
    for process in running:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + _GRACE_SECONDS
    for process in running:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)


def git(repo: Path, *args: str, timeout: float = 120.0, cleanup: bool = False) -> Completed:
    """``git ARGS`` in ``repo`` with a fixed identity and no hooks, signing or pager."""
    env = clean_env(
        os.environ,
        GIT_AUTHOR_NAME="bugzoo",
        GIT_AUTHOR_EMAIL="bugzoo@localhost",
        GIT_COMMITTER_NAME="bugzoo",
        GIT_COMMITTER_EMAIL="bugzoo@localhost",
        GIT_TERMINAL_PROMPT="0",
    )
    command = ["git", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", *args]
    return run(command, cwd=repo, env=env, timeout=timeout, cleanup=cleanup)
