"""The flags derived from the policy's declarations: names, groups, aliases, ``--baseline``."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from quality_gates.cli import build_parser, commands
from quality_gates.context import Inputs
from quality_gates.gates import GATES
from quality_gates.policy import overrides_from
from quality_gates.policy.keys import keys_table
from quality_gates.policy.model import sections, settings
from quality_gates.policy.setting import flag_of
from tests.gates._repo import CLI, GitRepo

DOCS = Path(__file__).resolve().parents[2] / "docs" / "policy.md"
#: Flags named after what they point at rather than ``--<section>-<key>``.
NAMED = {"--baseline-url", "--prometheus-url", "--baseline-selector"}


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def test_every_policy_flag_names_its_section() -> None:
    seen: dict[str, str] = {}
    for section, kind in sections().items():
        prefix = "--" + section.replace("_", "-") + "-"
        for field in settings(kind):
            flag = flag_of(section, field)
            if not flag:
                continue
            assert flag.startswith(prefix) or flag in NAMED, (section, field.name, flag)
            assert flag not in seen, f"{flag} is both {seen[flag]} and {section}.{field.name}"
            seen[flag] = f"{section}.{field.name}"


def test_a_flag_overrides_the_key_it_is_declared_with() -> None:
    args = parse("run", "--coverage-fail-under", "95", "--replay-seed", "7", "--mutation-seed", "3")
    overrides = overrides_from(vars(args))
    assert overrides["coverage.fail_under"] == 95.0
    assert overrides["replay.seed"] == 7
    assert overrides["mutation.seed"] == 3
    assert overrides["canary.interval"] is None  # not given: the policy's value stands


def test_a_flag_refuses_what_the_key_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    for argv, expected in (
        (("replay", "--replay-accounts", "0"), "expected an integer 1-1000000, got '0'"),
        (("coverage", "--coverage-fail-under", "101"), "expected a number 0-100, got '101'"),
        (("canary", "--canary-metric", "a b"), "expected a Prometheus metric name"),
    ):
        with pytest.raises(SystemExit):
            parse(*argv)
        assert expected in capsys.readouterr().err


@pytest.mark.parametrize(
    ("old", "new", "key", "value"),
    [
        (("--fail-under", "50"), ("--coverage-fail-under", "50"), "coverage.fail_under", 50.0),
        (("--all",), ("--mutation-scope", "all"), "mutation.scope", "all"),
        (("--aa",), ("--replay-mode", "aa"), "replay.mode", "aa"),
        (("--seed", "4"), ("--replay-seed", "4"), "replay.seed", 4),
        (
            ("--min-approvals", "1"),
            ("--checklist-min-approvals", "1"),
            "checklist.min_approvals",
            1,
        ),
    ],
)
def test_old_spellings_still_work_and_warn(
    capsys: pytest.CaptureFixture[str],
    old: tuple[str, ...],
    new: tuple[str, ...],
    key: str,
    value: object,
) -> None:
    assert overrides_from(vars(parse("run", *new)))[key] == value
    assert capsys.readouterr().err == ""
    assert overrides_from(vars(parse("run", *old)))[key] == value
    use = " ".join(new) if len(old) == 1 else new[0]
    assert capsys.readouterr().err == (
        f"quality-gates: warning: {old[0]} is deprecated, use {use}\n"
    )


def test_run_help_is_grouped_per_gate(cli: CLI) -> None:
    out = cli("run", "--help").out
    groups = re.findall(r"^(\S[^\n]*) options:$", out, flags=re.MULTILINE)
    # behaviour has no options of its own: its section has no flag, the PR's are checklist's.
    assert groups == ["global", *(name for name in GATES if name != "behaviour")]
    coverage = out.split("coverage options:")[1].split("\n\n")[0]
    assert "--coverage-fail-under PCT" in coverage
    assert "(policy: coverage.fail_under, default 80.0)" in " ".join(coverage.split())
    assert "--fail-under" not in out.replace("-fail-under", "")  # aliases stay hidden


def test_every_command_has_help(cli: CLI) -> None:
    for command in commands():
        assert cli(command.name, "--help").code == 0, command.name
    assert cli("canary", "watch", "--help").code == 0


def test_baseline_is_a_git_ref_everywhere(cli: CLI, repo: GitRepo) -> None:
    assert parse("canary", "watch", "--baseline", "main").__dict__["policy:baseline"] == "main"
    watch = parse("canary", "watch", "--baseline-url", "http://127.0.0.1:9/")
    assert overrides_from(vars(watch))["canary.baseline_url"] == "http://127.0.0.1:9"
    refused = cli("conformance", "--profile", "p.toml", "--baseline", "main")
    assert refused.code == 2
    assert "unrecognized arguments: --baseline" in refused.err


def test_inputs_are_typed_and_default_when_absent() -> None:
    given = Inputs.from_options(vars(parse("checklist", "--label", "a", "--label", "b")))
    assert given.labels == ("a", "b")
    assert given.body_file is None
    assert not given.watch
    assert Inputs.from_options(vars(parse("canary", "watch"))).watch
    assert Inputs.from_options(vars(parse("api-compat", "--api-compat-spec", "x.json"))).spec == (
        "x.json"
    )


def test_the_docs_table_of_keys_is_the_declarations() -> None:
    text = DOCS.read_text(encoding="utf-8")
    start, end = "<!-- keys:start -->\n", "<!-- keys:end -->"
    assert start in text, f"{DOCS}: no {start.strip()} marker"
    table = text.split(start, 1)[1].split(end, 1)[0]
    assert table == keys_table(), (
        "docs/policy.md's table of keys is out of date: paste `python -m quality_gates.policy`"
    )
