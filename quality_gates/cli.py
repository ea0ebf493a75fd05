"""``quality-gates``: the command line.

Exit codes: 0 every gate passed or was skipped, 1 a gate failed, 2 usage or bad input,
3 internal error, 4 ``census`` refused what its hook printed, 130 interrupted. Bad input
never prints a traceback: one line per problem.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from quality_gates import __version__, git
from quality_gates.census import cli as census_cli
from quality_gates.conformance import cli as conformance_cli
from quality_gates.context import GateContext
from quality_gates.errors import InputError
from quality_gates.gates import DEFAULT_GATES, GATES
from quality_gates.policy import (
    Policy,
    apply_overrides,
    load_policy,
    override_dest,
    overrides_from,
)
from quality_gates.report import FORMATS, render
from quality_gates.report.as_text import gate_line, verdict_line
from quality_gates.result import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    GateResult,
    Subject,
    exit_code,
)
from quality_gates.review import template
from quality_gates.runner import run_gates
from quality_gates.subject import describe

DESCRIPTION = "Pre-merge quality gates, driven by [tool.quality_gates] in pyproject.toml."
EPILOG = "Exit codes: 0 passed, 1 a gate failed, 2 usage or bad input, 3 internal error."


class _Command(Protocol):
    """A command that judges something other than the repository (no git, no policy needed)."""

    NAME: str
    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add the command's own options."""

    def run(self, args: argparse.Namespace) -> GateResult:
        """Judge; raise ``InputError`` for bad input."""


#: Such commands, by name; their result is reported like a gate's.
STANDALONE: dict[str, _Command] = {conformance_cli.NAME: conformance_cli}


def _report_spec(value: str) -> tuple[str, str]:
    fmt, sep, path = value.partition("=")
    if not sep or fmt not in FORMATS or not path:
        raise argparse.ArgumentTypeError(
            f"expected FORMAT=PATH with FORMAT one of {', '.join(FORMATS)}, got {value!r}"
        )
    return fmt, path


def _global_options(parser: argparse.ArgumentParser, *, sub: bool) -> None:
    # On subcommands the defaults are SUPPRESS, so options given before the subcommand survive.
    def default(value: object) -> object:
        return argparse.SUPPRESS if sub else value

    group = parser.add_argument_group("global options")
    group.add_argument(
        "--repo", metavar="DIR", default=default("."), help="repository (default: .)"
    )
    group.add_argument(
        "--format", choices=FORMATS, default=default("text"), help="stdout format (default: text)"
    )
    group.add_argument(
        "--report",
        metavar="FORMAT=PATH",
        type=_report_spec,
        action="append",
        default=default([]),
        help="also write a report file; repeatable (e.g. markdown=$GITHUB_STEP_SUMMARY)",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS if sub else False,
        help="print only the verdict",
    )
    group.add_argument(
        "--baseline",
        metavar="REF",
        dest=override_dest("baseline"),
        default=default(None),
        help="compare with the merge base of REF (policy: baseline, default origin/main)",
    )
    group.add_argument(
        "--baseline-fallback",
        choices=("HEAD~1", "none", "error"),
        dest=override_dest("baseline_fallback"),
        default=default(None),
        help="when REF is missing (policy: baseline_fallback, default HEAD~1)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The full parser: global options, ``run``, one subcommand per gate, ``template``."""
    parser = argparse.ArgumentParser(prog="quality-gates", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _global_options(parser, sub=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run = commands.add_parser("run", help="run the policy's gates, one combined report")
    _global_options(run, sub=True)
    run.add_argument(
        "--skip",
        metavar="GATE",
        action="append",
        choices=list(GATES),
        default=[],
        help="report GATE as skipped; repeatable",
    )
    for gate in GATES.values():
        gate.add_arguments(run.add_argument_group(f"{gate.NAME} options"))
    for gate in GATES.values():
        sub = commands.add_parser(gate.NAME, help=gate.HELP, description=gate.HELP)
        _global_options(sub, sub=True)
        gate.add_arguments(sub.add_argument_group(f"{gate.NAME} options"))
        # Optional: a gate with actions of its own (``canary watch``).
        if (add_subcommands := getattr(gate, "add_subcommands", None)) is not None:
            add_subcommands(sub, lambda parser: _global_options(parser, sub=True))
    for command in STANDALONE.values():
        standalone = commands.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        _global_options(standalone, sub=True)
        command.add_arguments(standalone)
    census = commands.add_parser(census_cli.NAME, help=census_cli.HELP, description=census_cli.HELP)
    census_cli.add_arguments(census)
    tpl = commands.add_parser(
        "template", help="write the pull-request template from the policy, or --check it"
    )
    _global_options(tpl, sub=True)
    tpl.add_argument("--check", action="store_true", help="fail when the file is out of date")
    tpl.add_argument(
        "--output", metavar="PATH", help="where to write ('-' for stdout; default: policy)"
    )
    return parser


def _policy(args: argparse.Namespace) -> Policy:
    policy = load_policy(Path(args.repo), tuple(GATES), DEFAULT_GATES)
    return apply_overrides(policy, overrides_from(vars(args)))


def _emit(
    results: list[GateResult], args: argparse.Namespace, subject: Subject | None = None
) -> int:
    for fmt, path in args.report:
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # GitHub's job summary file is shared by the step's commands: append, never truncate.
            append = os.environ.get("GITHUB_STEP_SUMMARY") == path
            with target.open("a" if append else "w", encoding="utf-8") as stream:
                stream.write(render(results, fmt, subject))
        except OSError as exc:
            raise InputError(f"--report {fmt}={path}: cannot write: {exc.strerror}") from None
    if not args.quiet:
        sys.stdout.write(render(results, args.format, subject))
    elif len(results) == 1:  # one gate: its own line says more than the tally of one
        sys.stdout.write(gate_line(results[0]) + "\n")
    else:
        sys.stdout.write(verdict_line(results) + "\n")
    return exit_code(results)


def _dispatch(args: argparse.Namespace) -> int:
    repo = Path(args.repo)
    if not repo.is_dir():
        raise InputError(f"--repo {repo}: not a directory")
    if (command := STANDALONE.get(args.command)) is not None:
        return _emit([command.run(args)], args)
    if args.command == census_cli.NAME:
        return census_cli.run(args)
    if args.command == "template":
        policy = _policy(args)
        text = template.render_template(policy)
        output = args.output or policy.checklist.template
        if args.check:
            return _emit([template.check(repo, output, text)], args)
        if output == "-":
            sys.stdout.write(text)
        else:
            (repo / output).parent.mkdir(parents=True, exist_ok=True)
            (repo / output).write_text(text, encoding="utf-8")
            if not args.quiet:
                print(f"wrote {output}")
        return 0
    git.check_repository(repo)
    policy = _policy(args)
    ctx = GateContext(repo=repo, policy=policy, args=args, environ=os.environ, stdin=sys.stdin)
    names = policy.gates if args.command == "run" else (args.command,)
    results = run_gates(names, ctx, skip=getattr(args, "skip", ()))
    code = _emit(results, args, describe(ctx))
    # Optional: a gate's own exit codes when run alone (``canary``: 4 = inconclusive).
    if args.command != "run" and (custom := getattr(GATES[args.command], "exit_code", None)):
        return int(custom(results[0], code))
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (see the module docstring)."""
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:  # argparse: --help, --version, or a usage error (2)
            return (
                exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_INPUT)
            )
        return _dispatch(args)
    except KeyboardInterrupt:
        print("quality-gates: interrupted (^C)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except InputError as exc:
        for problem in exc.problems:
            print(f"quality-gates: error: {problem}", file=sys.stderr)
        return EXIT_INPUT
    except Exception:  # noqa: BLE001 - the documented "internal error" exit code
        import traceback  # noqa: PLC0415 - only on the error path

        print("quality-gates: internal error (a bug; please report it):", file=sys.stderr)
        traceback.print_exc()
        return EXIT_INTERNAL
