"""Running mutmut 3 in a subprocess: its CLI, its output, a deadline, and its diffs.

mutmut runs from the interpreter the policy names (``mutation.python``; default: the one running
the gates), as its console script does (``mutmut.__main__.cli``), in its own process group so
that stopping it also stops the test processes it forked. Its progress line is parsed for ours.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from quality_gates.errors import InputError
from quality_gates.mutation.progress import Progress
from quality_gates.mutation.results import Mutant

LAUNCH = "import sys; from mutmut.__main__ import cli; sys.argv[0] = 'mutmut'; sys.exit(cli())"
_VERSION = "import sys, mutmut; sys.stdout.write(mutmut.__version__)"
_STATUS = re.compile(r"(\d+)/(\d+)\s+🎉 (\d+) 🫥 (\d+)\s+⏰ (\d+)\s+🤔 (\d+)\s+🙁 (\d+)")
_SPINNER = re.compile(r"[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]")
_PHASES = {
    "Generating mutants": "generating mutants",
    "Running stats": "finding the tests of each function",
    "Listing all tests": "listing the tests",
    "Running clean tests": "running the tests without mutants",
    "Running forced fail test": "checking that the tests can fail",
    "Running mutation testing": "testing mutants",
}
MUTATION_PHASE = "Running mutation testing"
_KEEP = 512 * 1024  # bytes of output kept, for error messages
_GRACE = 30.0  # seconds mutmut gets to stop after SIGINT


@dataclass(frozen=True)
class Invocation:
    """One ``mutmut run``: exit code, output, and timings."""

    returncode: int
    output: str
    seconds: float
    stopped: bool  # interrupted at the deadline
    mutation_seconds: float | None  # time spent testing mutants, when it got there

    def lines(self, last: int = 30) -> list[str]:
        """The last lines of output, spinner frames and redraws removed."""
        return clean_lines(self.output)[-last:]

    def says(self, text: str) -> bool:
        """Whether mutmut printed ``text``."""
        return text in self.output


def clean_lines(output: str) -> list[str]:
    """Output lines without the spinner and in-place redraws of the status line."""
    lines: list[str] = []
    for raw in re.split(r"[\r\n]", output):
        line = _SPINNER.sub("", raw).strip()
        if not line or (lines and line == lines[-1]):
            continue
        if lines and _STATUS.search(line) and _STATUS.search(lines[-1]):
            lines[-1] = line  # a redraw
            continue
        lines.append(line)
    return lines


def environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of mutmut: the caller's, unbuffered, without coverage measurement.

    A coverage run of the gates (``patch = subprocess``) would otherwise follow mutmut and its
    forked test runs, slowing them down and writing data files about the temporary copy.
    """
    env = {
        key: value
        for key, value in environ.items()
        if not key.startswith("COVERAGE_") and key != "MUTANT_UNDER_TEST"
    }
    return {**env, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}


def mutmut_version(python: str, environ: Mapping[str, str]) -> str:
    """mutmut's version in ``python``; ``InputError`` when it is missing or not mutmut 3."""
    hint = (
        "install the framework's `mutation` extra (auth-quality-gates[mutation]), or point "
        "tool.quality_gates.mutation.python (--mutmut-python) at an interpreter that has it"
    )
    try:
        completed = subprocess.run(  # noqa: S603 - the interpreter is the policy's choice
            [python, "-c", _VERSION],
            capture_output=True,
            text=True,
            env=environment(environ),
            timeout=120,
            check=False,
        )
    except FileNotFoundError:
        raise InputError(f"mutation.python {python!r}: no such interpreter ({hint})") from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"mutation.python {python!r}: cannot run it: {exc}") from None
    if completed.returncode != 0:
        raise InputError(f"mutmut is not installed for {python} ({hint})")
    version = completed.stdout.strip()
    if not version.split(".")[0].isdigit() or int(version.split(".")[0]) < 3:
        raise InputError(f"mutmut {version} found for {python}; the mutation gate needs mutmut 3")
    return version


class _Watch:
    """Follows mutmut's output: the current phase, and mutants done in this run."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total = label, total
        self.phase = ""
        self.mutation_at: float | None = None
        self.first_checked: int | None = None

    def update(self, tail: str, now: float) -> str | None:
        """The progress text for the latest output, or None before mutmut says anything."""
        latest = max(_PHASES, key=tail.rfind)
        if tail.rfind(latest) >= 0:
            if latest == MUTATION_PHASE and self.phase != latest:
                self.mutation_at = now
            self.phase = latest
            tail = tail[tail.rfind(latest) :]
        if not self.phase:
            return None
        text = f"{self.label}: {_PHASES[self.phase]}" if self.label else _PHASES[self.phase]
        if self.phase == MUTATION_PHASE and (found := _STATUS.findall(tail)):
            # mutmut counts every mutant of the mutated files; show ours.
            checked = int(found[-1][0])
            if self.first_checked is None:
                self.first_checked = checked
            text += f" {min(checked - self.first_checked, self.total)}/{self.total}"
        return text


class Mutmut:
    """mutmut, run in ``workdir`` (which holds the configured copy) from ``python``."""

    def __init__(
        self, python: str, workdir: Path, environ: Mapping[str, str], progress: Progress
    ) -> None:
        self.python = python
        self.workdir = workdir
        self.env = environment(environ)
        self.progress = progress

    def run(
        self, names: Sequence[str], *, max_children: int, deadline: float | None, label: str
    ) -> Invocation:
        """``mutmut run NAMES``; SIGINT at ``deadline`` (monotonic), SIGKILL after a grace."""
        args = ["run", *(["--max-children", str(max_children)] if max_children else []), *names]
        started = time.monotonic()
        process = subprocess.Popen(  # noqa: S603 - fixed program, arguments are a list
            [self.python, "-c", LAUNCH, *args],
            cwd=self.workdir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        buffer = bytearray()
        lock = threading.Lock()

        def pump() -> None:
            assert process.stdout is not None  # noqa: S101 - stdout=PIPE above
            while chunk := os.read(process.stdout.fileno(), 65536):
                with lock:
                    buffer.extend(chunk)
                    del buffer[:-_KEEP]

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        stopped, interrupted_at = False, 0.0
        watch = _Watch(label, len(names))
        try:
            while True:
                try:
                    process.wait(timeout=0.25)
                    break
                except subprocess.TimeoutExpired:
                    pass
                with lock:
                    tail = bytes(buffer[-4096:]).decode("utf-8", errors="replace")
                now = time.monotonic()
                if (text := watch.update(tail, now)) is not None:
                    self.progress.show(text)
                if deadline is not None and now >= deadline and not stopped:
                    stopped, interrupted_at = True, now
                    os.kill(process.pid, signal.SIGINT)  # mutmut keeps what it finished
                if stopped and now - interrupted_at > _GRACE:
                    _kill_group(process.pid)
        finally:
            if process.poll() is None:  # our own interruption (Ctrl-C) or an error
                _kill_group(process.pid)
                process.wait()
            _kill_group(process.pid)  # test processes mutmut forked and left behind
            reader.join(timeout=5)
            if process.stdout is not None and not reader.is_alive():
                process.stdout.close()
        ended = time.monotonic()
        with lock:
            output = bytes(buffer).decode("utf-8", errors="replace")
        return Invocation(
            process.returncode,
            output,
            ended - started,
            stopped,
            None if watch.mutation_at is None else ended - watch.mutation_at,
        )

    def diffs(self, mutants: Sequence[Mutant]) -> dict[str, str]:
        """The unified diff of each mutant (as ``mutmut show`` prints it); missing ones left out."""
        if not mutants:
            return {}
        helper = Path(__file__).with_name("mutmut_diffs.py").read_text(encoding="utf-8")
        request = json.dumps([[m.name, m.path] for m in mutants])
        found: dict[str, str] = {}
        completed = self._call([self.python, "-c", helper], request)
        try:
            answer = json.loads(completed) if completed is not None else {}
        except json.JSONDecodeError:
            answer = {}
        if isinstance(answer, dict):
            found = {k: v for k, v in answer.items() if isinstance(v, str) and v.strip()}
        for mutant in mutants:  # mutmut changed its internals: one `mutmut show` each
            if mutant.name not in found:
                shown = self._call([self.python, "-c", LAUNCH, "show", mutant.name], "")
                if shown is not None and "\n" in shown.strip():
                    found[mutant.name] = shown.split("\n", 1)[1].strip("\n")
        return found

    def _call(self, command: list[str], stdin: str) -> str | None:
        try:
            completed = subprocess.run(  # noqa: S603 - fixed program, arguments are a list
                command,
                cwd=self.workdir,
                env=self.env,
                input=stdin,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=600,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return completed.stdout if completed.returncode == 0 else None


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
