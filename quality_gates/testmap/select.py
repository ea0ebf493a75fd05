"""Which tests a change needs, from the map of the commit it started from.

Per changed path (both sides of a rename):

- a file that configures the whole run (``full_on``: the lock, ``pyproject.toml``, a
  ``conftest.py``, the nox file) or a file under the tests folder that is not a test module
  (a helper, a fixture, golden data): the whole suite;
- documentation (``no_tests``): nothing;
- a test module: that module, whole;
- a Python source file: the tests that executed any line of it in the map's run;
- any other file (JSON, TOML, templates, SQL, patches): the whole suite, since code reads it
  at run time and coverage cannot say which tests did.

``also`` adds tests the map cannot see: a suite that drives the code in a server process it
starts (coverage measures that process, but outside any test's context) is named here for the
paths that server runs. The tests that guard a postmortem are always added (the incident gate
judges them on every change). Without a map made for this baseline the answer is the whole suite.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from quality_gates.globs import matches
from quality_gates.testmap.store import TestMap

FULL_ON = (
    "pyproject.toml",
    "uv.lock",
    "conftest.py",
    "noxfile.py",
    "setup.cfg",
    "pytest.ini",
    "tox.ini",
    ".coveragerc",
)
NO_TESTS = ("docs/**", "/README.md", "/CHANGELOG.md", "/CONTRIBUTING.md", "LICENSE*")


@dataclass(frozen=True)
class Selection:
    """``tests`` to run (node ids or test files), or ``None`` for the whole suite."""

    tests: tuple[str, ...] | None
    reason: str

    @property
    def whole(self) -> bool:
        """The whole suite runs."""
        return self.tests is None


def _is_test_module(path: str) -> bool:
    name = PurePosixPath(path).name
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def _matches(path: str, patterns: Iterable[str]) -> bool:
    """As :func:`matches`, where ``/README.md`` means the file at the top only (a bare name
    matches at any depth)."""
    for pattern in patterns:
        top = pattern.startswith("/") and "/" not in pattern[1:]
        if (not top or "/" not in path) and matches(path, (pattern.removeprefix("/"),)):
            return True
    return False


def select(
    changed: Sequence[str],
    test_map: TestMap | None,
    *,
    existing: frozenset[str],
    always: Iterable[str] = (),
    also: Sequence[tuple[str, str]] = (),
    tests_dir: str = "tests",
    full_on: Sequence[str] = FULL_ON,
    no_tests: Sequence[str] = NO_TESTS,
) -> Selection:
    """The tests for the ``changed`` paths; ``existing`` is the set of paths in the tree."""
    if test_map is None:
        return Selection(None, "no test map for this baseline and lock")
    chosen: set[str] = set()
    for path in changed:
        if _matches(path, full_on):
            return Selection(None, f"{path} changed: it configures the whole test run")
        if _matches(path, no_tests):
            continue
        if path.startswith(f"{tests_dir}/"):
            if not _is_test_module(path):
                return Selection(None, f"{path} changed: a test helper or data file")
            if path in existing:
                chosen.add(path)
        elif path.endswith(".py"):
            chosen.update(test_map.tests_for(path))
            chosen.update(tests for pattern, tests in also if matches(path, (pattern,)))
        else:
            return Selection(None, f"{path} changed: read at run time, not measured")
    reason = f"{len(chosen)} test(s) execute the changed code, plus the incident guards"
    reason = reason if chosen else ""
    chosen.update(t for t in always if t.split("::", 1)[0] in existing)
    modules = {t for t in chosen if "::" not in t}
    # A test inside a module that runs whole is already chosen.
    kept = tuple(sorted(t for t in chosen if "::" not in t or t.split("::", 1)[0] not in modules))
    if not reason:
        reason = "no changed code" + (": only the incident guards" if kept else "")
    return Selection(kept, reason)
