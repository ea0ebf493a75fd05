"""Benchmark of the mutation gate on this repository: a one-function change, and a full run.

    python bench/mutation_bench.py --mutmut-python /tmp/mutvenv/bin/python
    python bench/mutation_bench.py --mutmut-python ... --target check_password
    python bench/mutation_bench.py --mutmut-python ... --full --full-budget 7200

The work tree is copied into a throw-away git repository (committed as ``origin/main``), one
function is edited there (a behaviour-preserving edit of one line: ``canonical_email`` in
``authsvc/security/identifiers.py`` by default, or ``AccountService.check_password``, the login
core, which many more tests call), and the mutation gate judges the change, as in a pull
request: mutmut's mutants of that function against the unit tests (``tests/unit``), from the
interpreter given (one with the ``mutation`` dependency group). ``--full`` then runs the gate
with ``--all`` (every function of the critical paths) under the given time budget; past it the
gate samples, and the figures say so. Prints figures; docs/benchmarks.md records them.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quality_gates.gates import mutation
from quality_gates.git import list_files
from quality_gates.mutation.workdir import copy_tree
from quality_gates.result import GateResult
from tests.gates._mutation import load_context, mutmut_python

ROOT = Path(__file__).resolve().parents[1]
#: One-line, behaviour-preserving edits, each inside one function.
TARGETS = {
    "canonical_email": (
        "authsvc/security/identifiers.py",
        "    text = raw\n",
        "    text = raw  # the benchmark's one-line change\n",
    ),
    "check_password": (
        "authsvc/services/accounts.py",
        "        too_long = is_too_long(password)\n",
        "        too_long = is_too_long(password)  # the benchmark's one-line change\n",
    ),
}
SECTION = '\n[tool.quality_gates.mutation]\ntests = ["tests/unit"]\n'


def git(repo: Path, *args: str) -> None:
    """Run git quietly with a fixed identity."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com"}
    env |= {"GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)  # noqa: S603, S607


def make_clone(target: Path) -> Path:
    """This work tree as a fresh repository on branch ``bench``, ``origin/main`` its base."""
    copy_tree(ROOT, list_files(ROOT), target)
    pyproject = target / "pyproject.toml"
    document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    if "mutation" not in document["tool"]["quality_gates"]:
        pyproject.write_text(pyproject.read_text(encoding="utf-8") + SECTION, encoding="utf-8")
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "base")
    git(target, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(target, "checkout", "-q", "-b", "bench")
    return target


def judged(repo: Path, overrides: dict[str, object]) -> tuple[GateResult, float, float]:
    """The gate's result, its wall-clock seconds and the CPU seconds of its processes."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = mutation.run(load_context(repo, overrides=overrides))
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result, wall, cpu


def report(title: str, result: GateResult, wall: float, cpu: float) -> None:
    """One block of figures."""
    m = result.metrics
    print(f"## {title}")
    print(f"verdict: {result.status} ({result.detail})")
    print(f"wall clock: {wall:.1f} s; CPU of mutmut and its tests: {cpu:.1f} s")
    print(
        f"functions: {m.get('functions')}; mutants: {m.get('mutants')}, tested "
        f"{m.get('mutants_tested')}; killed {m.get('killed')}, survived {m.get('survived')}, "
        f"timeout {m.get('timeout')}, no tests {m.get('no_tests')}; score {m.get('score')}%"
    )
    if m.get("sampled"):
        print(f"sampled: 95% interval {m.get('score_low')}-{m.get('score_high')}%")
    print(
        f"preparing (mutants generated, tests of each function found): "
        f"{m.get('prepare_seconds')} s; rounds of mutants: {m.get('rounds')}"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")


def main() -> int:
    """Run the benchmark; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutmut-python", default=mutmut_python(), help="interpreter with mutmut")
    parser.add_argument(
        "--target", action="append", choices=sorted(TARGETS), help="function to edit; repeatable"
    )
    parser.add_argument("--budget", type=float, default=600.0, help="budget of the change run")
    parser.add_argument("--full", action="store_true", help="also run every critical function")
    parser.add_argument("--full-budget", type=float, default=3600.0, help="budget of --full")
    parser.add_argument("--keep", action="store_true", help="keep the throw-away repository")
    args = parser.parse_args()
    if not args.mutmut_python:
        parser.error("no interpreter with mutmut: pass --mutmut-python (see the docstring)")
    print(f"machine: {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}\n")
    base = Path(tempfile.mkdtemp(prefix="mutation-bench-"))
    try:
        repo = make_clone(base / "repo")
        common: dict[str, object] = {"python": args.mutmut_python}
        for target in args.target or ["canonical_email"]:
            path, before, after = TARGETS[target]
            original = (repo / path).read_text(encoding="utf-8")
            (repo / path).write_text(original.replace(before, after, 1), encoding="utf-8")
            result, wall, cpu = judged(repo, {**common, "time_budget_seconds": args.budget})
            report(f"one-function change ({target}, {path})", result, wall, cpu)
            for finding in result.findings:
                print(
                    f"  {finding.severity} {finding.location} [{finding.rule_id}] {finding.message}"
                )
            (repo / path).write_text(original, encoding="utf-8")
        if args.full:
            overrides = {**common, "scope": "all", "time_budget_seconds": args.full_budget}
            result, wall, cpu = judged(repo, overrides)
            report(f"full run (--all, budget {args.full_budget:g} s)", result, wall, cpu)
            rules = Counter(finding.rule_id for finding in result.findings)
            print("findings by rule: " + ", ".join(f"{k} {n}" for k, n in sorted(rules.items())))
            for finding in result.findings:
                if finding.rule_id in ("mutant-no-tests", "sampled"):
                    print(f"  {finding.location} [{finding.rule_id}] {finding.message}")
    finally:
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
