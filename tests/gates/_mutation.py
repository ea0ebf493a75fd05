"""Helpers of the mutation gate's tests and benchmark: mutmut's interpreter, a gate context.

The gate runs mutmut from an interpreter that has it (``mutation.python``). The tests use
``QG_MUTMUT_PYTHON`` when set, else the interpreter running them when it has mutmut; without
either they skip, unless ``QG_REQUIRE_MUTMUT=1`` (CI), where they fail instead.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from quality_gates.context import GateContext
from quality_gates.gates import GATES
from quality_gates.policy import apply_overrides, load_policy

NO_MUTMUT = (
    "mutmut is not installed here: install the `mutation` dependency group "
    "(uv sync --group mutation) or set QG_MUTMUT_PYTHON to an interpreter that has mutmut 3; "
    "QG_REQUIRE_MUTMUT=1 makes this a failure"
)


def mutmut_python() -> str | None:
    """An interpreter with mutmut, or None."""
    if chosen := os.environ.get("QG_MUTMUT_PYTHON"):
        return chosen
    return sys.executable if importlib.util.find_spec("mutmut") is not None else None


def require_mutmut() -> str:
    """The interpreter with mutmut; skips the test (fails under QG_REQUIRE_MUTMUT=1) without."""
    python = mutmut_python()
    if python is None:
        if os.environ.get("QG_REQUIRE_MUTMUT") == "1":
            pytest.fail(NO_MUTMUT)
        pytest.skip(NO_MUTMUT)
    return python


def load_context(
    repo: Path,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> GateContext:
    """A gate context on ``repo``'s policy, with ``overrides`` as command-line flags would give."""
    flags = {f"mutation.{key}": value for key, value in (overrides or {}).items()}
    policy = apply_overrides(load_policy(repo, tuple(GATES)), flags)
    return GateContext(
        repo=repo,
        policy=policy,
        environ=dict(os.environ if environ is None else environ),
    )


# A small project for the gate's tests: ``add`` (its one mutant is killed) and ``cap``, whose
# test never probes the boundary (``>`` -> ``>=`` and ``100`` -> ``101`` survive).
OPS = '''\
"""Arithmetic for the mutation gate's tests."""


def add(a, b):
    return a + b


def cap(value):
    if value > 100:
        return 100
    return value
'''
TESTS = """\
from calc.ops import add, cap


def test_add():
    assert add(2, 3) == 5


def test_cap():
    assert cap(5) == 5
    assert cap(500) == 100
"""
# pytest's plugin autoloading off in mutmut's runs (the project's tests need no plugin).
ENV = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def policy(python: str, extra: str = "") -> str:
    return (
        '[tool.quality_gates]\ncritical_paths = ["calc/**"]\n\n'
        f'[tool.quality_gates.mutation]\npython = "{python}"\ntests = ["tests"]\n{extra}'
    )
