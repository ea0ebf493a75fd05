"""``python -m bugzoo``: run the zoo, check it, re-render its matrix, or run the demo.

Exit codes: 0 every buggy patch blocked and every benign one passed (``demo``: the incident was
blocked); 1 a buggy patch got through or a benign one was blocked (``demo``: the incident got
through); 2 bad input (a malformed metadata file, a patch that does not apply, an unknown gate
name, a bad result file), one line per problem and never a traceback; 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import resource
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bugzoo import demo, matrix, proc
from bugzoo.metadata import ZooInputError, load_zoo
from bugzoo.names import NOT_RUN, STAGES
from bugzoo.pipeline import Progress, preflight, run_patch, run_zoo
from bugzoo.results import (
    EXIT_CAUGHT_WRONG,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ZooRun,
    judge,
    run_from_dict,
)
from bugzoo.sampling import mutation_sample
from bugzoo.selection import baseline_map
from bugzoo.stages import Settings
from bugzoo.worktree import resolve_commit, top_level
from quality_gates.testmap.store import default_dir

EPILOG = (
    "Exit codes: 0 every buggy patch blocked and every benign one passed, 1 a buggy patch got "
    "through or a benign one was blocked, 2 bad input, 130 interrupted. See docs/bugzoo.md."
)
DEFAULT_JOBS = 2


def _stage_list(value: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = [name for name in names if name not in STAGES]
    if unknown or not names:
        hints = [f"{n} ({NOT_RUN[n]})" if n in NOT_RUN else n for n in unknown]
        raise argparse.ArgumentTypeError(
            f"unknown gate name(s): {', '.join(hints) or 'none given'}; "
            f"the stages are {', '.join(STAGES)}"
        )
    return names


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return number


def _sample(value: str) -> int | None:
    """``all`` (None) or a number of patches (0 turns the mutation stage off)."""
    if value == "all":
        return None
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected a number of patches or 'all', got {value!r}")
    return number


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", metavar="DIR", default=".", help="the repository (default: .)")
    parser.add_argument(
        "--patches", metavar="DIR", help="the zoo's directory (default: REPO/bugzoo/patches)"
    )
    parser.add_argument(
        "--base", metavar="REF", default="HEAD", help="the commit the patches apply to (HEAD)"
    )


def _pipeline_options(parser: argparse.ArgumentParser, *, accounts: int) -> None:
    parser.add_argument(
        "--stages",
        type=_stage_list,
        default=STAGES,
        metavar="S1,S2",
        help=f"the stages to run (default: {','.join(STAGES)})",
    )
    parser.add_argument(
        "--tests",
        default="tests/unit",
        metavar="ARGS",
        help="pytest arguments of the tests stage (default: tests/unit)",
    )
    parser.add_argument(
        "--accounts",
        type=_positive,
        default=accounts,
        help=f"replay population size (default: {accounts})",
    )
    parser.add_argument(
        "--fast-hashing",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="replay with argon2id at 1 MiB, t=1 on both versions, the zoo's budget "
        "(--no-fast-hashing: authsvc's own 19 MiB, t=2; about twice the replay's CPU)",
    )
    parser.add_argument(
        "--replay-cache",
        metavar="DIR",
        help="the replay gate's cache of environments (default: the gate's own)",
    )


def build_parser() -> argparse.ArgumentParser:
    """``run``, ``check``, ``matrix`` and ``demo``."""
    parser = argparse.ArgumentParser(
        prog="python -m bugzoo", description=__doc__.splitlines()[0], epilog=EPILOG
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser("run", help="run every patch through the pipeline", epilog=EPILOG)
    _common(run)
    _pipeline_options(run, accounts=100)
    run.add_argument("--only", nargs="+", metavar="SLUG", default=[], help="only these patches")
    run.add_argument(
        "--mutation-sample",
        type=_sample,
        default=1,
        metavar="N|all",
        help="the mutation stage runs on N benign and N buggy patches whose change is in "
        "mutated code, drawn with the baseline commit as seed, or on all of them (default: 1)",
    )
    run.add_argument(
        "--mutation-budget",
        type=_positive,
        default=180,
        metavar="SECONDS",
        help="the mutation gate's time budget per patch (default: 180)",
    )
    run.add_argument(
        "--select",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="tests stage: only the tests that execute the patch's change, from a map of the "
        "baseline's run (default: on; docs/benchmarks.md)",
    )
    run.add_argument(
        "--first-block",
        action="store_true",
        help="CI's mode: a buggy patch's stages run one at a time, cheapest first, and stop at "
        "the first that blocks it (the later ones are not run); benign patches run every stage. "
        "The catch matrix is then written only with --matrix, marked as not the full one",
    )
    run.add_argument(
        "--jobs",
        type=_positive,
        default=DEFAULT_JOBS,
        help=f"patches at a time (default: {DEFAULT_JOBS})",
    )
    run.add_argument(
        "--matrix",
        metavar="PATH",
        help="write the catch matrix here (default: REPO/docs/catch-matrix.md; "
        "not written with --only or --first-block unless given)",
    )
    run.add_argument(
        "--results",
        metavar="PATH",
        help="write the JSON results here (default: REPO/reports/bugzoo.json)",
    )

    check = commands.add_parser(
        "check", help="validate the metadata and check that every patch applies"
    )
    _common(check)
    check.add_argument("--only", nargs="+", metavar="SLUG", default=[], help="only these patches")

    render = commands.add_parser(
        "matrix", help="render the catch matrix from a JSON result file; exit with its verdict"
    )
    render.add_argument("results", metavar="RESULTS", help="a result file of `run`")
    render.add_argument("--output", metavar="PATH", help="write it here (default: stdout)")

    show = commands.add_parser(
        "demo", help="the 2024-05-25 incident as an update, through the pre-merge gate"
    )
    _common(show)
    _pipeline_options(show, accounts=1000)
    show.add_argument("--patch", default=demo.INCIDENT, metavar="SLUG", help="the update")
    show.add_argument(
        "--report-dir", metavar="DIR", help="the reports (default: REPO/reports/demo)"
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(
        stages=args.stages,
        pytest_args=tuple(shlex.split(args.tests)),
        accounts=args.accounts,
        fast_hashing=args.fast_hashing,
        replay_cache=Path(args.replay_cache).resolve() if args.replay_cache else None,
        python=sys.executable,
    )


def _where(args: argparse.Namespace) -> tuple[Path, Path, str]:
    repo = top_level(Path(args.repo).resolve())
    patches = Path(args.patches).resolve() if args.patches else repo / "bugzoo" / "patches"
    return repo, patches, resolve_commit(repo, args.base)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _cmd_run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    repo, directory, base = _where(args)
    specs = load_zoo(directory, args.only)
    preflight(specs, repo, base)
    settings = _settings(args)
    test_map = None
    if args.select and "tests" in settings.stages:
        print("bugzoo: the test map of the baseline (made once, then cached)", file=sys.stderr)
        cache = default_dir(settings.environ)
        test_map = baseline_map(
            repo, base, settings.pytest_args, settings.environ, cache=cache, python=settings.python
        )
    settings = replace(
        settings,
        test_map=test_map,
        mutation_budget=float(args.mutation_budget),
        first_block=args.first_block,
        mutation_slugs=mutation_sample(specs, base, args.mutation_sample)
        if "mutation" in args.stages
        else frozenset(),
    )
    mode = "; buggy ones up to their first block" if settings.first_block else ""
    print(
        f"bugzoo: {len(specs)} patches on {base[:12]}; stages {', '.join(settings.stages)}; "
        f"{args.jobs} at a time{mode}",
        file=sys.stderr,
    )
    start, cpu = time.monotonic(), _children_cpu()
    patches = run_zoo(specs, repo, base, settings, jobs=args.jobs, progress=Progress(len(specs)))
    run = ZooRun(
        base=base,
        command=shlex.join(["python", "-m", "bugzoo", *argv]),
        seconds=time.monotonic() - start,
        stages=settings.stages,
        settings={**settings.describe(), "jobs": args.jobs},
        patches=tuple(patches),
        cpu_seconds=_children_cpu() - cpu,
    )
    results = Path(args.results) if args.results else repo / "reports" / "bugzoo.json"
    _write(results, json.dumps(run.to_dict(), indent=2, ensure_ascii=False) + "\n")
    matrix_path = Path(args.matrix) if args.matrix else None
    # The committed matrix is the full one: a subset or a first-block run never replaces it.
    if matrix_path is None and not args.only and not args.first_block:
        matrix_path = repo / "docs" / "catch-matrix.md"
    if matrix_path is not None:
        _write(matrix_path, matrix.render(run))
    return _report(run, results, matrix_path)


def _report(run: ZooRun, results: Path, matrix_path: Path | None) -> int:
    verdict = judge(run)
    for warning in verdict.warnings:
        print(f"bugzoo: warning: {warning}", file=sys.stderr)
    for problem in verdict.problems:
        print(f"bugzoo: {problem}", file=sys.stderr)
    bugs = [p for p in run.patches if p.spec.kind == "bug"]
    caught = sum(1 for p in bugs if p.blocked_by)
    benign = [p for p in run.patches if p.spec.kind == "benign"]
    passed = sum(1 for p in benign if not p.blocked_by and not p.errors)
    print(
        f"bugzoo: {caught}/{len(bugs)} buggy patches blocked, {passed}/{len(benign)} benign "
        f"passed, in {matrix.duration(run.seconds)}: {'failed' if verdict.problems else 'passed'}"
    )
    print(f"results: {results}" + (f"; matrix: {matrix_path}" if matrix_path else ""))
    return verdict.exit_code


def _cmd_check(args: argparse.Namespace) -> int:
    repo, directory, base = _where(args)
    specs = load_zoo(directory, args.only)
    preflight(specs, repo, base)
    kinds = {kind: sum(1 for s in specs if s.kind == kind) for kind in ("bug", "benign")}
    print(
        f"bugzoo: {len(specs)} patches valid and applying to {base[:12]} "
        f"({kinds['bug']} buggy, {kinds['benign']} benign)"
    )
    return EXIT_OK


def _cmd_matrix(args: argparse.Namespace) -> int:
    source = Path(args.results)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ZooInputError(f"{source}: cannot read a result file: {exc}") from None
    run = run_from_dict(data, str(source))
    text = matrix.render(run)
    if args.output:
        _write(Path(args.output), text)
    else:
        print(text, end="")
    return judge(run).exit_code


def _cmd_demo(args: argparse.Namespace) -> int:
    repo, directory, base = _where(args)
    (spec,) = load_zoo(directory, [args.patch])
    preflight([spec], repo, base)
    settings = _settings(args)
    print(
        f"bugzoo demo: {spec.slug} on {base[:12]}, through {', '.join(settings.stages)} "
        f"(replay: {settings.accounts} accounts); a few minutes…",
        file=sys.stderr,
    )
    result = run_patch(spec, repo, base, settings)
    report_dir = Path(args.report_dir) if args.report_dir else repo / "reports" / "demo"
    written = demo.write_reports(result, report_dir.resolve(), base)
    for line in demo.summary(result, written["html"], Path.cwd()):
        print(line)
    return EXIT_OK if result.blocked_by else EXIT_CAUGHT_WRONG


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(arguments)
    except SystemExit as exc:  # --help, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT
    commands = {
        "run": lambda: _cmd_run(args, arguments),
        "check": lambda: _cmd_check(args),
        "matrix": lambda: _cmd_matrix(args),
        "demo": lambda: _cmd_demo(args),
    }
    try:
        return commands[args.command]()
    except ZooInputError as exc:
        for problem in exc.problems:
            print(f"bugzoo: error: {problem}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        proc.stop_all()
        print("bugzoo: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
