"""How long `nox` (the pre-merge gate) takes, stage by stage, for four kinds of change.

    python bench/gate_bench.py                       # none, framework, critical, migration
    python bench/gate_bench.py --kinds critical      # one kind
    python bench/gate_bench.py --keep                # keep the temporary clone

Each kind is one commit in a temporary clone of this repository's committed ``HEAD`` (the
user's checkout is never touched), with the clone's ``main`` and ``origin/main`` set to ``HEAD``
so that the gates judge exactly that commit:

- ``none``: a docs-only change (no critical path: the replay and mutation gates skip);
- ``framework``: a one-line refactor in ``quality_gates/report`` (code, but no critical path);
- ``critical``: a one-line refactor of one critical function (``_verify_pbkdf2``);
- ``migration``: a new Alembic revision adding a nullable column.

Before timing, ``nox --install-only`` builds the clone's environments, and the baseline's test
map is made unless it is cached (``nox -s tests`` on a clean clone of ``HEAD``): the cache is
warm, as a developer's is after a first run on ``main``. With it, ``nox`` runs only the tests
each change needs (docs/benchmarks.md, "Test selection"); ``--no-warm`` times it without.
Then ``nox`` runs as usual; every ``nox > command`` line is time-stamped, which gives each
stage's wall time, and each session's CPU time (all its child processes) comes from
``getrusage``. The load average is printed with every figure: on a shared machine wall times
grow with it, CPU times much less. Exit codes: 0 every run finished (the gates' verdicts are
printed), 1 a session failed, 2 bad input (not in a git checkout, unknown kind, a change whose
anchor is no longer in the code).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from quality_gates.testmap import store
from quality_gates.testmap.cli import key_for

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = ("lint", "typecheck", "gate")
#: The arguments of a full `nox -s tests` run (noxfile.ALL_TESTS): part of the test map's key.
ALL_TESTS = ("--integration", "--replay-bars")
DOCS = "docs/benchmarks.md"
REPORT = "quality_gates/report/as_markdown.py"
HASHING = "authsvc/security/hashing.py"
VERSIONS = "authsvc/migrations/versions"
MODELS = "authsvc/store/models.py"
#: The tests that pin the head revision, and the schema history the new head joins.
HEAD_PINS = ("tests/unit/test_migrate.py", "tests/unit/test_cli.py")
SCHEMA_HISTORY = "tests/integration/_schema_history.py"
_COMMAND = re.compile(r"^nox > (.+)$")


class BenchError(Exception):
    """Bad input: the message is the one line printed."""


@dataclass
class Stage:
    """One command of a nox session and its wall time."""

    command: str
    seconds: float = 0.0


@dataclass
class SessionRun:
    """One nox session: its stages, wall and CPU time, exit code, and the load around it."""

    name: str
    code: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)
    stages: list[Stage] = field(default_factory=list)


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - fixed executable
        ["git", "-C", str(repo), *args],  # noqa: S607 - git from PATH
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _replace(repo: Path, relative: str, old: str, new: str) -> None:
    target = repo / relative
    text = target.read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise BenchError(f"{relative}: the change's anchor is no longer there; update the bench")
    target.write_text(text.replace(old, new), encoding="utf-8")


def change_none(repo: Path) -> str:
    """A docs-only change."""
    with (repo / DOCS).open("a", encoding="utf-8") as doc:
        doc.write("\nA docs-only change, made by bench/gate_bench.py.\n")
    return "docs: a sentence"


def change_framework(repo: Path) -> str:
    """A behaviour-preserving one-line refactor of framework code outside the critical paths."""
    _replace(
        repo,
        REPORT,
        r'    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))',
        '    collapsed = " ".join(text.split())\n'
        r'    return _SPECIAL.sub(r"\\\1", collapsed)',
    )
    return "report: name the collapsed text before escaping it"


def change_critical(repo: Path) -> str:
    """A behaviour-preserving one-line refactor of one critical function.

    It names the PBKDF2 digest before comparing it. (An earlier bench named the bcrypt hash's
    bytes instead: its ``"ascii"`` then sat on a changed line, and mutmut's ``"ASCII"`` is an
    equivalent mutant, since codec names ignore case, so the mutation gate rightly failed it.)
    """
    _replace(
        repo,
        HASHING,
        "    return hmac.compare_digest(_pbkdf2(password, salt, iterations), expected)",
        "    computed = _pbkdf2(password, salt, iterations)\n"
        "    return hmac.compare_digest(computed, expected)",
    )
    return "hashing: name the computed PBKDF2 digest"


def change_migration(repo: Path) -> str:
    """An additive Alembic revision on top of the current head."""
    versions = repo / VERSIONS
    texts = [p.read_text(encoding="utf-8") for p in sorted(versions.glob("[0-9]*.py"))]
    revisions = [
        m.group(1) for t in texts for m in [re.search(r'^revision.*"(\w+)"', t, re.M)] if m
    ]
    downs = {
        m.group(1) for t in texts for m in [re.search(r'^down_revision.*"(\w+)"', t, re.M)] if m
    }
    heads = [r for r in revisions if r not in downs]
    if len(heads) != 1:
        raise BenchError(f"{VERSIONS}: expected one head revision, found {heads}")
    (versions / "9000_bench_note.py").write_text(
        f'"""Add users.bench_note (nullable), made by bench/gate_bench.py.\n\n'
        f'Revision ID: 9000\nRevises: {heads[0]}\n"""\n\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f'revision = "9000"\ndown_revision = "{heads[0]}"\n'
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade() -> None:\n"
        '    with op.batch_alter_table("users") as batch:\n'
        '        batch.add_column(sa.Column("bench_note", sa.String(64)))\n\n\n'
        "def downgrade() -> None:\n"
        '    with op.batch_alter_table("users") as batch:\n'
        '        batch.drop_column("bench_note")\n',
        encoding="utf-8",
    )
    _replace(
        repo,
        MODELS,
        '    Column("created_at", UTCDateTime, nullable=False),\n)\n\nsessions = Table(',
        '    Column("created_at", UTCDateTime, nullable=False),\n'
        '    Column("bench_note", String(64)),\n)\n\nsessions = Table(',
    )
    # The tests that pin the head revision move with it, as in any migration's pull request
    # (the behaviour gate then asks for them to be declared: the bench gives no body).
    for relative in HEAD_PINS:
        target = repo / relative
        text = target.read_text(encoding="utf-8")
        text = text.replace(f'== "{heads[0]}"', '== "9000"')
        target.write_text(text.replace(f"revision {heads[0]}", "revision 9000"), encoding="utf-8")
    # The new head writes what the old one did (the column is nullable).
    _replace(
        repo,
        SCHEMA_HISTORY,
        "\n\n\ndef writes_for",
        "\nSCHEMA_WRITES = MappingProxyType("
        f'{{**SCHEMA_WRITES, "9000": SCHEMA_WRITES["{heads[0]}"]}})\n\n\ndef writes_for',
    )
    return "migration: users.bench_note"


KINDS: dict[str, Callable[[Path], str]] = {
    "none": change_none,
    "framework": change_framework,
    "critical": change_critical,
    "migration": change_migration,
}

#: What each kind reads or writes: files, or a folder (``VERSIONS``: the change reads every
#: revision in it and adds one). tests/unit/test_gate_bench.py applies each change to a copy of
#: just these paths, and fails when a change reads or writes anything else.
TOUCHES: dict[str, tuple[str, ...]] = {
    "none": (DOCS,),
    "framework": (REPORT,),
    "critical": (HASHING,),
    "migration": (VERSIONS, MODELS, *HEAD_PINS, SCHEMA_HISTORY),
}


def prepare(workdir: Path, kind: str) -> Path:
    """A clone of ``HEAD`` with the change of ``kind`` committed; ``origin/main`` is ``HEAD``."""
    repo = workdir / kind
    _git(workdir, "clone", "--quiet", "--no-hardlinks", str(ROOT), kind)
    _git(repo, "checkout", "--quiet", "-b", f"bench-{kind}")
    # The baseline, under both names: the gates read origin/main, and the replay bars clone
    # this clone, where it becomes their origin/main.
    _git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    _git(repo, "update-ref", "refs/heads/main", "HEAD")
    message = KINDS[kind](repo)
    _git(repo, "add", "-A")
    _git(
        repo,
        "-c",
        "user.name=gate bench",
        "-c",
        "user.email=bench@example.com",
        "commit",
        "--quiet",
        "-m",
        message,
    )
    return repo


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_session(repo: Path, name: str, log: Path) -> SessionRun:
    """Run ``nox -s name`` in ``repo``, time-stamping each command it runs."""
    run = SessionRun(name)
    load_before = os.getloadavg()[0]
    cpu_before, started = _children_cpu(), time.monotonic()
    mark = started
    with (
        log.open("a", encoding="utf-8") as out,
        subprocess.Popen(  # noqa: S603 - fixed executable
            ["nox", "--non-interactive", "-s", name],  # noqa: S607 - nox from PATH
            cwd=repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as proc,
    ):
        assert proc.stdout is not None  # noqa: S101 - piped above
        for line in proc.stdout:
            out.write(line)
            if match := _COMMAND.match(line.rstrip("\n")):
                # A stage lasts from its `nox >` line to the next one.
                now = time.monotonic()
                if run.stages:
                    run.stages[-1].seconds = now - mark
                run.stages.append(Stage(match.group(1)[:70]))
                mark = now
        run.code = proc.wait()
    run.wall = time.monotonic() - started
    if run.stages:
        run.stages[-1].seconds = started + run.wall - mark
    run.cpu = _children_cpu() - cpu_before
    run.load = (load_before, os.getloadavg()[0])
    return run


def print_kind(kind: str, runs: list[SessionRun]) -> None:
    """The breakdown of one kind of change."""
    wall, cpu = sum(r.wall for r in runs), sum(r.cpu for r in runs)
    print(f"\n== {kind}: nox took {wall:.0f} s wall, {cpu:.0f} s CPU")
    for run in runs:
        status = "ok" if run.code == 0 else f"exit {run.code}"
        print(
            f"  {run.name:<10} {run.wall:7.1f} s wall {run.cpu:7.1f} s CPU  {status}"
            f"  (load {run.load[0]:.2f} -> {run.load[1]:.2f})"
        )
        for stage in run.stages:
            if stage.seconds >= 1:
                print(f"      {stage.seconds:7.1f} s  {stage.command}")


def _check(kinds: list[str]) -> None:
    if unknown := [k for k in kinds if k not in KINDS]:
        raise BenchError(f"unknown kind(s) {', '.join(unknown)}; choose from {', '.join(KINDS)}")
    if not (ROOT / ".git").exists():
        raise BenchError(f"{ROOT} is not a git checkout")


def warm_test_map(workdir: Path) -> None:
    """Make the test map of ``HEAD`` with ``nox -s tests`` in a clean clone, unless cached."""
    commit = _git(ROOT, "rev-parse", "HEAD").strip()
    key = key_for(ROOT, commit, ALL_TESTS)
    if store.load(store.default_dir(os.environ) / f"{key}.json", key) is not None:
        print("test map of HEAD: cached", flush=True)
        return
    _git(workdir, "clone", "--quiet", "--no-hardlinks", str(ROOT), "baseline")
    run = run_session(workdir / "baseline", "tests", workdir / "baseline.log")
    print(f"test map of HEAD: made by nox -s tests in {run.wall:.0f} s (exit {run.code})")


def bench(kinds: list[str], *, keep: bool, warm: bool) -> bool:
    """Time ``nox`` for each kind in its own clone; ``True`` when every session passed."""
    commit = _git(ROOT, "rev-parse", "--short=12", "HEAD").strip()
    workdir = Path(tempfile.mkdtemp(prefix="gate-bench-"))
    print(f"gate bench at {commit}, {os.cpu_count()} CPUs, clones in {workdir}", flush=True)
    passed = True
    try:
        if warm:
            warm_test_map(workdir)
        for kind in kinds:
            repo = prepare(workdir, kind)
            install = ["nox", "--non-interactive", "--install-only", "-s", *SESSIONS]
            subprocess.run(  # noqa: S603 - fixed executable
                install, cwd=repo, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            runs = [run_session(repo, name, workdir / f"{kind}.log") for name in SESSIONS]
            print_kind(kind, runs)
            passed &= not any(r.code for r in runs)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--kinds", default=",".join(KINDS), help="comma-separated: " + ", ".join(KINDS)
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary clones (and logs)")
    parser.add_argument(
        "--warm",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="make the baseline's test map first when it is not cached (default: on)",
    )
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    try:
        _check(kinds)
        return 0 if bench(kinds, keep=args.keep, warm=args.warm) else 1
    except BenchError as exc:
        print(f"gate_bench: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
