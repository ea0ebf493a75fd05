"""``quality-gates``: the command line.

Exit codes: 0 every gate passed or was skipped, 1 a gate failed, 2 usage or bad input,
3 internal error, 4 ``census`` refused what its hook printed (``canary``: inconclusive),
130 interrupted. Bad input never prints a traceback: one line per problem.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from quality_gates import __version__, git
from quality_gates.census import cli as census_cli
from quality_gates.conformance import cli as conformance_cli
from quality_gates.context import GateContext, Inputs
from quality_gates.errors import InputError
from quality_gates.gates import (
    DEFAULT_GATES,
    EXIT_CODES,
    GATES,
    POLICY_CHECKS,
    SUBCOMMANDS,
    Gate,
)
from quality_gates.policy import Policy, add_flags, apply_overrides, load_policy, overrides_from
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


@dataclass(frozen=True)
class Command:
    """A subcommand: its options, and what it does with them (returns the exit code)."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    handle: Callable[[argparse.Namespace], int]
    #: Whether it compares with a git baseline (``--baseline``, ``--baseline-fallback``).
    uses_git: bool = True


def _report_spec(value: str) -> tuple[str, str]:
    fmt, sep, path = value.partition("=")
    if not sep or fmt not in FORMATS or not path:
        raise argparse.ArgumentTypeError(
            f"expected FORMAT=PATH with FORMAT one of {', '.join(FORMATS)}, got {value!r}"
        )
    return fmt, path


def _global_options(parser: argparse.ArgumentParser, *, sub: bool, uses_git: bool = True) -> None:
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
    if uses_git:
        add_flags(group, "", default=default(None))


def _gate_options(
    parser: argparse.ArgumentParser, gate: Gate, done: set[str] | None = None
) -> None:
    """A group of ``gate``'s options: its sections' flags (each section once), its inputs."""
    group = parser.add_argument_group(f"{gate.NAME} options")
    added = set() if done is None else done
    for section in gate.SECTIONS:
        if section not in added:
            add_flags(group, section)
            added.add(section)
    for add in gate.OPTIONS:
        add(group)


def _add_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--skip",
        metavar="GATE",
        action="append",
        choices=list(GATES),
        default=[],
        help="report GATE as skipped; repeatable",
    )
    done: set[str] = set()
    for gate in GATES.values():
        _gate_options(parser, gate, done)


def _policy(args: argparse.Namespace) -> Policy:
    policy = load_policy(Path(args.repo), tuple(GATES), DEFAULT_GATES)
    policy = apply_overrides(policy, overrides_from(vars(args)))
    problems = [problem for check in POLICY_CHECKS.values() for problem in check(policy)]
    if problems:
        raise InputError(problems)
    return policy


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


def _judge(args: argparse.Namespace, gate: str | None = None) -> int:
    """Run ``gate`` alone, or (``None``) the policy's gates; report; the exit code."""
    repo = Path(args.repo)
    git.check_repository(repo)
    policy = _policy(args)
    inputs = Inputs.from_options(vars(args))
    ctx = GateContext(repo=repo, policy=policy, environ=os.environ, inputs=inputs, stdin=sys.stdin)
    names = policy.gates if gate is None else (gate,)
    results = run_gates(names, ctx, skip=args.skip if gate is None else ())
    code = _emit(results, args, describe(ctx))
    if gate is not None and (custom := EXIT_CODES.get(gate)) is not None:
        return custom(results[0], code)
    return code


def _add_template(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="fail when the file is out of date")
    parser.add_argument(
        "--output", metavar="PATH", help="where to write ('-' for stdout; default: policy)"
    )


def _template(args: argparse.Namespace) -> int:
    repo = Path(args.repo)
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


def _common(parser: argparse.ArgumentParser, gate: Gate) -> None:
    """The options of a gate's own action (``canary watch``): the gate's, and the global ones."""
    _global_options(parser, sub=True)
    _gate_options(parser, gate)


def _gate_command(gate: Gate) -> Command:
    def add(parser: argparse.ArgumentParser) -> None:
        _gate_options(parser, gate)
        if (add_actions := SUBCOMMANDS.get(gate.NAME)) is not None:
            add_actions(parser, lambda sub: _common(sub, gate))

    return Command(gate.NAME, gate.HELP, add, lambda args: _judge(args, gate.NAME))


def commands() -> list[Command]:
    """Every subcommand, in ``--help`` order."""
    return [
        Command("run", "run the policy's gates, one combined report", _add_run, _judge),
        *(_gate_command(gate) for gate in GATES.values()),
        Command(
            conformance_cli.NAME,
            conformance_cli.HELP,
            conformance_cli.add_arguments,
            lambda args: _emit([conformance_cli.run(args)], args),
            uses_git=False,
        ),
        Command(
            census_cli.NAME,
            census_cli.HELP,
            census_cli.add_arguments,
            census_cli.run,
            uses_git=False,
        ),
        Command(
            "template",
            "write the pull-request template from the policy, or --check it",
            _add_template,
            _template,
            uses_git=False,
        ),
    ]


def build_parser() -> argparse.ArgumentParser:
    """The full parser: global options and one subcommand per ``Command``."""
    parser = argparse.ArgumentParser(prog="quality-gates", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _global_options(parser, sub=False)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in commands():
        sub = subparsers.add_parser(command.name, help=command.help, description=command.help)
        _global_options(sub, sub=True, uses_git=command.uses_git)
        command.add_arguments(sub)
        sub.set_defaults(handle=command.handle)
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    repo = Path(args.repo)
    if not repo.is_dir():
        raise InputError(f"--repo {repo}: not a directory")
    handle: Callable[[argparse.Namespace], int] = args.handle
    return handle(args)


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
