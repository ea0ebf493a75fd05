"""mutmut's result files, its statuses, and the score.

mutmut 3 keeps one JSON file per mutated source file, ``mutants/<path>.meta``, whose
``exit_code_by_key`` maps each mutant name to the exit code of its test run (``null``: not run
yet), and ``mutants/mutmut-stats.json``, which maps each function (``<module>.<key>``) to the tests
that called it and each test to its duration. The exit-code table is mutmut's own.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from quality_gates.errors import InputError

KILLED, SURVIVED, TIMEOUT = "killed", "survived", "timeout"
NO_TESTS, SUSPICIOUS, INTERRUPTED = "no tests", "suspicious", "interrupted"
SKIPPED, TYPE_CHECK, SEGFAULT, NOT_CHECKED = (
    "skipped",
    "caught by type check",
    "segfault",
    "not checked",
)

# mutmut 3.8's ``status_by_exit_code``; any other code is "suspicious" there too.
STATUS_BY_EXIT_CODE: dict[int | None, str] = {
    1: KILLED,
    3: KILLED,  # pytest internal error: the mutant broke something
    0: SURVIVED,
    5: NO_TESTS,
    2: INTERRUPTED,  # mutmut: "check was interrupted by user"
    None: NOT_CHECKED,
    33: NO_TESTS,
    34: SKIPPED,
    35: SUSPICIOUS,
    36: TIMEOUT,
    37: TYPE_CHECK,
    -24: TIMEOUT,  # SIGXCPU: the CPU-time limit
    24: TIMEOUT,
    152: TIMEOUT,
    255: TIMEOUT,
    -11: SEGFAULT,
    -9: SEGFAULT,
}
#: Statuses that make the gate an error: the result says nothing about the tests' strength.
ERROR_STATUSES = (NO_TESTS, SUSPICIOUS, INTERRUPTED, SEGFAULT)


def status_of(exit_code: int | None) -> str:
    """mutmut's status word for an exit code."""
    return STATUS_BY_EXIT_CODE.get(exit_code, SUSPICIOUS)


@dataclass(frozen=True)
class Mutant:
    """One mutant and what its test run said."""

    name: str
    path: str
    exit_code: int | None

    @property
    def status(self) -> str:
        """mutmut's status word."""
        return status_of(self.exit_code)

    @property
    def function(self) -> str:
        """``<module>.<key>``: the function it belongs to, as the stats name it."""
        return self.name.partition("__mutmut_")[0]


def natural(name: str) -> tuple[str, int]:
    """Sort key putting ``f__mutmut_2`` before ``f__mutmut_10``."""
    function, _, number = name.rpartition("__mutmut_")
    return function, int(number) if number.isdigit() else 0


def _load_json(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"mutmut's result file {path.name} is unreadable: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"mutmut's result file {path.name} is not a JSON object")
    return data


def read_mutants(workdir: Path) -> dict[str, Mutant]:
    """Every mutant of ``workdir/mutants/**/*.meta``, by name."""
    root = workdir / "mutants"
    found: dict[str, Mutant] = {}
    for meta in sorted(root.rglob("*.meta")) if root.is_dir() else []:
        source = meta.relative_to(root).as_posix().removesuffix(".meta")
        codes = _load_json(meta).get("exit_code_by_key")
        if not isinstance(codes, dict):
            raise InputError(f"mutmut's result file {meta.name} has no exit_code_by_key")
        for name, code in codes.items():
            found[name] = Mutant(name, source, code if isinstance(code, int) else None)
    return found


@dataclass(frozen=True)
class TestStats:
    """Which tests call each function, and how long each test takes."""

    tests_by_function: Mapping[str, frozenset[str]] = field(default_factory=dict)
    duration_by_test: Mapping[str, float] = field(default_factory=dict)

    def tests_of(self, function: str) -> frozenset[str]:
        """The tests calling ``function`` (``<module>.<key>``)."""
        return self.tests_by_function.get(function, frozenset())

    def estimate(self, function: str) -> float:
        """Seconds the tests of ``function`` take: the cost of a surviving mutant."""
        return sum(self.duration_by_test.get(test, 0.0) for test in self.tests_of(function))


def read_stats(workdir: Path) -> TestStats | None:
    """``mutants/mutmut-stats.json``, or None when mutmut did not get that far."""
    path = workdir / "mutants" / "mutmut-stats.json"
    if not path.is_file():
        return None
    data = _load_json(path)
    tests = data.get("tests_by_mangled_function_name", {})
    durations = data.get("duration_by_test", {})
    if not isinstance(tests, dict) or not isinstance(durations, dict):
        raise InputError("mutmut's mutmut-stats.json is not in the expected format")
    return TestStats(
        {name: frozenset(ids) for name, ids in tests.items() if isinstance(ids, list)},
        {test: float(d) for test, d in durations.items() if isinstance(d, int | float)},
    )


@dataclass(frozen=True)
class Score:
    """killed / (killed + survived + timeout), survivors accepted in the file left out."""

    killed: int
    survived: int
    timeout: int

    @property
    def judged(self) -> int:
        """The denominator."""
        return self.killed + self.survived + self.timeout

    @property
    def percent(self) -> float | None:
        """The score in percent; None when no mutant was judged."""
        return 100.0 * self.killed / self.judged if self.judged else None


def count(mutants: Iterable[Mutant], accepted: set[str]) -> Score:
    """The score of ``mutants``; names in ``accepted`` do not count."""
    statuses = [m.status for m in mutants if m.name not in accepted]
    return Score(statuses.count(KILLED), statuses.count(SURVIVED), statuses.count(TIMEOUT))


def interval(score: Score, population: int, z: float = 1.96) -> tuple[float, float]:
    """A 95% interval for the score of all ``population`` mutants, from a random sample.

    Wilson's interval (sound at 0% and 100%, unlike the plain normal one), with the sample size
    inflated by the finite-population correction: a sample of everything has no error.
    """
    n = score.judged
    if score.percent is None:
        return 0.0, 100.0
    p = score.percent / 100
    if n >= population:
        return score.percent, score.percent
    n_eff = n * (population - 1) / (population - n)
    denominator = 1 + z * z / n_eff
    centre = (p + z * z / (2 * n_eff)) / denominator
    half = z * math.sqrt(p * (1 - p) / n_eff + z * z / (4 * n_eff * n_eff)) / denominator
    return max(0.0, 100 * (centre - half)), min(100.0, 100 * (centre + half))
