"""``quality-gates census --profile P --out FILE``: the target's population, as segment shares.

Runs the profile's ``hooks.census`` command (in the profile's directory, like every hook),
checks each line it prints (:mod:`quality_gates.census.lines`), and writes the shares to FILE
only when every line passed: through a temporary file renamed at the end, so a refused census
leaves no file, and an earlier FILE untouched.

Exit codes: 0 written; 2 bad input (no such profile or hook, the hook failed, a line that is not
a census record, no account in a replayed segment); 4 refused: a line held what looks like a
hash, salt, secret or address, or a key the census does not know. One line on stderr each.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from quality_gates.census.lines import LeakError, LineError, Record, parse_line
from quality_gates.census.tally import Tally
from quality_gates.conformance.hooks import HookError, HookRunner, HookUnavailableError
from quality_gates.errors import InputError
from quality_gates.profile import load_profile
from quality_gates.replay.population_file import write_population

NAME = "census"
HELP = "measure a service's user population (hash schemes, e-mail shapes) for the replay"
EXIT_REFUSED = 4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The subcommand's options."""
    parser.add_argument("--profile", metavar="FILE", required=True, help="target profile (TOML)")
    parser.add_argument(
        "--out", metavar="FILE", required=True, help="population file to write (TOML)"
    )


def _records(output: str) -> list[Record]:
    lines = [(n, text) for n, text in enumerate(output.splitlines(), 1) if text.strip()]
    if not lines:
        raise InputError("census: the hook printed no account")
    try:
        return [parse_line(text, number) for number, text in lines]
    except LineError as exc:
        raise InputError(f"census: {exc}; nothing written") from None


def run(args: argparse.Namespace) -> int:
    """Take the census; raise ``InputError`` for bad input, return 4 when refused."""
    profile = load_profile(Path(args.profile))
    out = Path(args.out)
    if not out.parent.is_dir():
        raise InputError(f"--out {out}: no such directory {out.parent}")
    try:
        output = HookRunner(profile).census()
    except (HookError, HookUnavailableError) as exc:
        raise InputError(f"census: {exc}") from None
    try:
        tally = Tally(_records(output))
    except LeakError as exc:
        print(f"quality-gates: refused: census {exc}; nothing written", file=sys.stderr)
        return EXIT_REFUSED
    if not sum(tally.segments.values()):
        schemes = ", ".join(sorted(tally.unmapped))
        raise InputError(f"census: no account in a replayed segment (schemes: {schemes})")
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (
        f"Population of {profile.name}, measured by quality-gates census on {when}:"
        f" {tally.accounts} accounts.\nShares of the segments the census cannot see keep"
        " their defaults (docs/census.md)."
    )
    write_population(out, tally.shares(), tally.counts(), header)
    _summary(tally, out)
    return 0


def _summary(tally: Tally, out: Path) -> None:
    total = tally.accounts
    legacy = sum(n for name, n in tally.segments.items() if name.startswith(("legacy", "argon2")))
    print(
        f"census: {total} accounts, {legacy / total:.0%} on imported hashes; wrote {out}",
        file=sys.stderr,
    )
    for scheme, count in sorted(tally.unmapped.items()):
        # The account a replay cannot stand for is the one nobody tests: say so loudly.
        print(
            f"census: warning: {count} accounts ({count / total:.1%}) on scheme {scheme},"
            " which no replay segment covers",
            file=sys.stderr,
        )
