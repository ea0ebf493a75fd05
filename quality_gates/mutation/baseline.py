"""The twins on the baseline: do the survivors outside the changed lines survive there too?

The baseline commit is exported (``git archive``) to a temporary directory and mutmut generates
the mutants of the files holding those survivors, as they were then. Each survivor's twin is
the baseline mutant that rewrites the same line the same way (whitespace aside) in the same
function, found through the lines the change left alone (so a renamed function still finds its
old self). Only the twins run, against the baseline's own tests.
"""

from __future__ import annotations

import difflib
import io
import shutil
import subprocess
import tarfile
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from quality_gates.git import ChangedFile, show_file
from quality_gates.mutation import workdir as wd
from quality_gates.mutation.driver import Mutmut
from quality_gates.mutation.focus import NO_TWIN, UNTESTED, Placed
from quality_gates.mutation.locate import parse
from quality_gates.mutation.progress import Progress
from quality_gates.mutation.results import Mutant, read_mutants, read_stats
from quality_gates.mutation.runner import Settings
from quality_gates.mutation.scope import Function, functions_in
from quality_gates.mutation.survivors import normalise


@dataclass
class Twins:
    """Each survivor's twin status on the baseline (``NO_TWIN``, ``UNTESTED`` or mutmut's)."""

    statuses: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def counterpart(function: Function, new: str, old: str, old_functions: list[Function]) -> str:
    """The mangled name of ``function`` on the baseline: where most of its unchanged lines were."""
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    votes: Counter[str] = Counter()
    for a, b, size in matcher.get_matching_blocks():
        for k in range(size):
            if function.start <= b + k + 1 <= function.end:
                votes.update(f.mangled for f in old_functions if f.start <= a + k + 1 <= f.end)
    return votes.most_common(1)[0][0] if votes else ""


def _export(repo: Path, sha: str, target: Path) -> None:
    archive = subprocess.run(  # noqa: S603 - fixed program, arguments are a list
        ["git", "-C", str(repo), "archive", "--format=tar", sha],  # noqa: S607 - git on PATH
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")


def compare(
    repo: Path,
    sha: str,
    survivors: Sequence[Placed],
    *,
    changed: Sequence[ChangedFile],
    sources: Mapping[str, str],
    settings: Settings,
    environ: Mapping[str, str],
    progress: Progress,
    deadline: float,
) -> Twins:
    """Run the twins of ``survivors`` on the baseline ``sha``; ``sources``: the changed texts."""
    twins = Twins({item.mutant.name: NO_TWIN for item in survivors})
    old_path = {f.path: (f.old_path or f.path) for f in changed if f.status != "A"}
    wanted: dict[str, tuple[str, str]] = {}  # survivor -> its file and function on the baseline
    old_sources: dict[str, str] = {}
    sentinel = ""
    for item in survivors:
        path = old_path.get(item.function.path, item.function.path)
        if path not in old_sources:
            old_sources[path] = show_file(repo, sha, path) or ""
        old_functions = functions_in(old_sources[path], path)
        if old_functions:  # "": a function new with the change (moved code is looked up by file)
            name = counterpart(
                item.function, sources[item.function.path], old_sources[path], old_functions
            )
            wanted[item.mutant.name] = (path, name)
            sentinel = old_functions[0].prefix + "0"  # mutmut numbers from 1: matches nothing
    if not wanted:
        return twins
    work = Path(tempfile.mkdtemp(prefix="qg-mutation-baseline-"))
    try:
        progress.show("baseline: exporting", force=True)
        try:
            _export(repo, sha, work)
        except (OSError, subprocess.CalledProcessError, tarfile.TarError) as exc:
            twins.notes.append(f"the baseline {sha[:7]} could not be exported: {exc}")
            twins.statuses = dict.fromkeys(twins.statuses, UNTESTED)
            return twins
        files = sorted({p for p in old_sources if old_sources[p]})
        wd.install_config(work, wd.config_for(work, files, settings.tests, settings.pytest_args))
        mutmut = Mutmut(settings.python, work, environ, progress)
        prepare = mutmut.run(
            [sentinel], max_children=settings.max_children, deadline=deadline, label="baseline"
        )
        if read_stats(work) is None:
            why = (
                "the time left ran out while mutmut prepared the baseline"
                if prepare.stopped
                else f"the baseline's tests fail under mutmut: {' '.join(prepare.lines(1))}"
            )
            twins.notes.append(f"the survivors outside the changed lines were not compared ({why})")
            twins.statuses = dict.fromkeys(twins.statuses, UNTESTED)
            return twins
        chosen = _match(mutmut, survivors, wanted, read_mutants(work))
        if chosen:
            mutmut.run(
                sorted(set(chosen.values())),
                max_children=settings.max_children,
                deadline=deadline,
                label="baseline",
            )
        final = read_mutants(work)
        for survivor, twin in chosen.items():
            mutant = final.get(twin)
            done = mutant is not None and mutant.exit_code is not None
            twins.statuses[survivor] = mutant.status if done and mutant else UNTESTED
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return twins


def _match(
    mutmut: Mutmut,
    survivors: Sequence[Placed],
    wanted: Mapping[str, tuple[str, str]],
    mutants: Mapping[str, Mutant],
) -> dict[str, str]:
    """Survivor name -> its twin's name: the same rewrite of the same line, in the same
    function when it has a counterpart, else anywhere in its file (moved code)."""
    files = {path for path, _ in wanted.values()}
    candidates = [m for m in mutants.values() if m.path in files]
    by_function: dict[tuple[str, str, str], list[str]] = {}
    by_file: dict[tuple[str, str, str], list[str]] = {}
    for name, diff in sorted(mutmut.diffs(candidates).items()):
        change = parse(diff)
        text = (normalise(change.original), normalise(change.mutated))
        by_function.setdefault((name.partition("__mutmut_")[0], *text), []).append(name)
        by_file.setdefault((mutants[name].path, *text), []).append(name)
    chosen: dict[str, str] = {}
    for item in survivors:
        if item.mutant.name not in wanted or item.change is None:
            continue
        path, function = wanted[item.mutant.name]
        text = (normalise(item.change.original), normalise(item.change.mutated))
        for pool in (by_function.get((function, *text), []), by_file.get((path, *text), [])):
            twin = next((n for n in pool if n not in chosen.values()), None)
            if twin is not None:
                chosen[item.mutant.name] = twin
                break
    return chosen
