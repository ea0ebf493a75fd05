"""The map from each measured source file to the tests that executed it, and its cache.

Built from a coverage data file whose contexts are test node ids (:mod:`.contexts`). Node ids
are kept without their parameters (``test_x[a-1]`` becomes ``test_x``): running every case of a
parametrized test is what a change to code it executes needs anyway, and the ids stay safe to
pass on a command line. The map is stored as JSON under a key made of what it depends on: the
commit the suite ran on, the dependency lock and the pytest arguments; any other key is
another map.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from coverage import CoverageData
from coverage.exceptions import CoverageException

from quality_gates.errors import InputError

FORMAT = 1


@dataclass(frozen=True)
class TestMap:
    """For each file (relative to the repository), the tests that executed a line of it."""

    __test__ = False  # not a pytest test class, despite the name

    key: str
    files: Mapping[str, frozenset[str]]

    def tests_for(self, path: str) -> frozenset[str]:
        """The tests that executed ``path`` (none when no test did, or it was not measured)."""
        return self.files.get(path, frozenset())


def map_key(commit: str, lock: str | None, pytest_args: Sequence[str]) -> str:
    """The cache key: the commit, the lock's text at it (or none) and the pytest arguments."""
    digest = hashlib.sha256(f"{FORMAT}\0{commit}\0".encode())
    digest.update(b"no lock" if lock is None else lock.encode())
    digest.update(json.dumps(list(pytest_args)).encode())
    return digest.hexdigest()[:24]


def test_id(context: str) -> str:
    """A context's node id without parameters; ``""`` for the context outside any test."""
    return context.split("[", 1)[0]


def from_coverage(data_file: Path, repo: Path, key: str) -> TestMap:
    """Read the combined data file; bad input when it has no per-test contexts."""
    data = CoverageData(basename=str(data_file))
    try:
        data.read()
    except CoverageException as exc:
        raise InputError(f"{data_file}: not a coverage data file: {exc}") from None
    if not any(test_id(context) for context in data.measured_contexts()):
        raise InputError(
            f"{data_file}: no per-test contexts; run pytest with "
            "-p quality_gates.testmap.contexts under `coverage run`"
        )
    root = repo.resolve()
    files: dict[str, frozenset[str]] = {}
    for measured in data.measured_files():
        path = Path(measured)
        absolute = path if path.is_absolute() else root / path
        try:
            relative = absolute.resolve().relative_to(root).as_posix()
        except ValueError:
            continue  # another checkout's file (a replay's version, a site-packages copy)
        contexts = data.contexts_by_lineno(measured)
        tests = {test_id(c) for found in contexts.values() for c in found} - {""}
        files[relative] = frozenset(tests | files.get(relative, frozenset()))
    return TestMap(key, files)


def save(test_map: TestMap, path: Path) -> None:
    """Write ``test_map`` to ``path`` atomically (tests numbered once, files name numbers)."""
    tests = sorted({t for found in test_map.files.values() for t in found})
    number = {test: index for index, test in enumerate(tests)}
    body = {
        "format": FORMAT,
        "key": test_map.key,
        "tests": tests,
        "files": {
            f: sorted(number[t] for t in found) for f, found in sorted(test_map.files.items())
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(body, separators=(",", ":")), encoding="utf-8")
    partial.replace(path)


def load(path: Path, key: str) -> TestMap | None:
    """The map stored at ``path`` if it exists and was made for ``key``; else ``None``."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        if body.get("format") != FORMAT or body.get("key") != key:
            return None
        tests = [str(t) for t in body["tests"]]
        files = {
            str(f): frozenset(tests[int(i)] for i in found) for f, found in body["files"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None  # missing or damaged: the caller falls back to the whole suite
    return TestMap(key, files)


def default_dir(environ: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/quality-gates/testmap`` (``~/.cache`` when unset)."""
    root = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "quality-gates" / "testmap"
