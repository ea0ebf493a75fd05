"""``python -m quality_gates.testmap``: build the test map of a run, or select tests for a change.

``build`` reads a coverage data file recorded with ``-p quality_gates.testmap.contexts`` and
stores the map for (commit, lock, pytest arguments) in the cache. ``select`` finds the map for
the merge base of HEAD with ``--baseline`` and prints, as JSON, the tests the working tree's
change needs (``"tests": null`` means the whole suite). Exit codes: 0 done, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from quality_gates import git
from quality_gates.errors import InputError
from quality_gates.incident.postmortems import load_postmortems
from quality_gates.incident.testindex import build_index
from quality_gates.testmap import store
from quality_gates.testmap.select import Selection, select

LOCK = "uv.lock"


def key_for(repo: Path, commit: str, pytest_args: Sequence[str]) -> str:
    """The map key of a run of ``pytest_args`` on ``commit`` of ``repo``."""
    return store.map_key(commit, git.show_file(repo, commit, LOCK), pytest_args)


def incident_guards(repo: Path, postmortems: str, marker: str, tests_dir: str) -> list[str]:
    """The tests named by postmortems or marked with ``@pytest.mark.<marker>``."""
    found, _ = load_postmortems(repo, postmortems)
    files = [p for p in git.list_files(repo) if p.startswith(f"{tests_dir}/") and p.endswith(".py")]
    index = build_index(repo, files, marker)
    marked = [node for places in index.markers.values() for node, _ in places]
    return sorted({*(t for p in found for t in p.tests), *marked})


def _pair(text: str) -> tuple[str, str]:
    pattern, sep, tests = text.partition("=")
    if not sep or not pattern or not tests:
        raise argparse.ArgumentTypeError(f"expected GLOB=TESTS, got {text!r}")
    return pattern, tests


def selection_for(
    repo: Path,
    baseline: str,
    pytest_args: Sequence[str],
    cache: Path,
    also: Sequence[tuple[str, str]] = (),
) -> tuple[Selection, str]:
    """The selection for the working tree's change since the merge base with ``baseline``."""
    base = git.resolve_baseline(repo, baseline, "none")
    if base.sha is None or base.kind != "merge-base":
        return Selection(None, f"no merge base with {baseline}"), ""
    key = key_for(repo, base.sha, pytest_args)
    changes = git.collect_changes(repo, base)
    changed = [p for f in changes.files for p in f.paths]
    existing = frozenset(git.list_files(repo))
    guards = incident_guards(repo, "postmortems", "incident", "tests")
    test_map = store.load(cache / f"{key}.json", key)
    selection = select(changed, test_map, existing=existing, always=guards, also=also)
    return selection, base.sha


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m quality_gates.testmap", description=__doc__)
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="repository (default: .)")
    parser.add_argument("--cache", type=Path, help="map cache (default: XDG cache)")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="store the map of a test run's coverage data")
    build.add_argument("--data-file", type=Path, default=Path(".coverage"))
    build.add_argument("--commit", default="HEAD", help="the commit the run tested")
    select_ = commands.add_parser("select", help="print the tests a change needs, as JSON")
    select_.add_argument("--baseline", default="origin/main", help="ref to compare with")
    select_.add_argument(
        "--also",
        type=_pair,
        action="append",
        default=[],
        metavar="GLOB=TESTS",
        help="a change to a path matching GLOB also runs TESTS (a suite driving a server)",
    )
    for sub in (build, select_):
        sub.add_argument("pytest_args", nargs="*", help="the run's pytest arguments (after --)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; see the module docstring for the exit codes."""
    args = _parser().parse_args(argv)
    repo: Path = args.repo.resolve()
    cache: Path = args.cache or store.default_dir(os.environ)
    try:
        git.check_repository(repo)
        if args.command == "build":
            commit = git.run_git(repo, "rev-parse", "--verify", f"{args.commit}^{{commit}}")
            sha = commit.stdout.strip()
            key = key_for(repo, sha, args.pytest_args)
            test_map = store.from_coverage(repo / args.data_file, repo, key)
            store.save(test_map, cache / f"{key}.json")
            print(f"test map of {sha[:12]}: {len(test_map.files)} files, {cache / key}.json")
            return 0
        selection, sha = selection_for(repo, args.baseline, args.pytest_args, cache, args.also)
    except InputError as exc:
        print(f"testmap: {exc}", file=sys.stderr)
        return 2
    tests = None if selection.tests is None else list(selection.tests)
    print(json.dumps({"baseline": sha, "tests": tests, "reason": selection.reason}))
    return 0
