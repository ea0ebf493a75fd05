"""Running mutmut: its environment, its output, the interpreter check."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from quality_gates.errors import InputError
from quality_gates.mutation.driver import (
    Invocation,
    _Watch,
    clean_lines,
    environment,
    mutmut_version,
)

# What mutmut writes: a spinner redrawn with \r, status lines, then plain lines.
OUTPUT = (
    "⠋ Generating mutants\r⠙ Generating mutants\n    done in 5ms\n"
    "⠋ Running stats\r⠙ Running stats\n    done\nRunning mutation testing\n"
    "⠋ 0/4  🎉 0 🫥 0  ⏰ 0  🤔 0  🙁 0  🔇 0  🧙 0\r⠙ 1/4  🎉 1 🫥 0  ⏰ 0  🤔 0  🙁 0  🔇 0  🧙 0"
    "\r⠹ 3/4  🎉 2 🫥 0  ⏰ 0  🤔 0  🙁 1  🔇 0  🧙 0\n1.50 mutations/second\n"
)


def test_output_lines_without_the_spinner_and_redraws() -> None:
    assert clean_lines(OUTPUT) == [
        "Generating mutants",
        "done in 5ms",
        "Running stats",
        "done",
        "Running mutation testing",
        "3/4  🎉 2 🫥 0  ⏰ 0  🤔 0  🙁 1  🔇 0  🧙 0",
        "1.50 mutations/second",
    ]
    invocation = Invocation(1, OUTPUT, 2.0, stopped=False, mutation_seconds=None)
    assert invocation.says("mutations/second")
    assert invocation.lines(last=1) == ["1.50 mutations/second"]


def test_progress_follows_the_phases_and_counts_our_mutants() -> None:
    watch = _Watch("round 2", 2)
    assert watch.update("", 0.0) is None
    assert watch.update("⠋ Running stats", 1.0) == "round 2: finding the tests of each function"
    assert watch.update("Running mutation testing\n⠋ 2/4  🎉 2 🫥 0  ⏰ 0  🤔 0  🙁 0", 2.0) == (
        "round 2: testing mutants 0/2"
    )
    assert watch.update("⠙ 3/4  🎉 3 🫥 0  ⏰ 0  🤔 0  🙁 0", 3.0) == "round 2: testing mutants 1/2"
    assert watch.mutation_at == 2.0
    assert _Watch("", 1).update("Running clean tests", 0.0) == "running the tests without mutants"


def test_the_environment_drops_coverage_and_a_stray_mutant() -> None:
    env = environment({"PATH": "/bin", "COVERAGE_PROCESS_START": "x", "MUTANT_UNDER_TEST": "y"})
    assert env == {"PATH": "/bin", "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}


def test_a_missing_interpreter_is_bad_input() -> None:
    with pytest.raises(InputError, match="no such interpreter"):
        mutmut_version("/nonexistent/python3", {})


def test_the_current_interpreter_has_mutmut_3_or_says_how_to_get_it() -> None:
    if importlib.util.find_spec("mutmut") is None:
        with pytest.raises(
            InputError, match=r"mutmut is not installed .*auth-quality-gates\[mutation\]"
        ):
            mutmut_version(sys.executable, {})
    else:
        assert mutmut_version(sys.executable, {}).startswith("3.")
