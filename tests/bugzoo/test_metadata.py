"""Bad input is exit 2 with one line per problem, naming the file and the key; never a run."""

from __future__ import annotations

import pytest

from tests.bugzoo._zoo import BENIGN_META, BUG_META, Zoo
from tests.gates._repo import CLI


def test_a_valid_zoo_checks(cli: CLI, zoo: Zoo) -> None:
    """Valid metadata and patches that apply: exit 0, with the counts."""
    zoo.add_benign()
    zoo.add("shout", zoo.diff("app.py", "def greet():\n    return 'HELLO'\n"), BUG_META)
    result = cli("check")
    assert result.code == 0, result.err
    assert "2 patches valid and applying" in result.out
    assert "(1 buggy, 1 benign)" in result.out


def test_every_problem_of_every_file_is_listed(cli: CLI, zoo: Zoo) -> None:
    """Unknown keys, wrong types, unknown gates, missing keys: all of them, file and key."""
    patch = zoo.diff("app.py", "def greet():\n    return 'HELLO'\n")
    typo_meta = {k: v for k, v in BUG_META.items() if k != "expected_gates"}
    zoo.add("typo", patch, {**typo_meta, "expected_gate": ["tests"], "hits": 3})
    zoo.add("gates", patch, {**BUG_META, "expected_gates": ["tests", "conformance", "lint"]})
    zoo.add("missing", patch, {"title": "No kind", "kind": "bug"})
    result = cli("check")
    assert result.code == 2
    lines = result.err.splitlines()
    assert all(line.startswith("bugzoo: error: ") for line in lines)
    typo = [line for line in lines if "typo.toml" in line]
    assert any("expected_gate: unknown key" in line for line in typo)
    assert any("hits: expected a string, got an integer" in line for line in typo)
    assert any("expected_gates: missing" in line for line in typo)
    gates = [line for line in lines if "gates.toml" in line]
    assert any("unknown gate 'conformance' (about 50 s per patch" in line for line in gates)
    assert any("unknown gate 'lint'" in line for line in gates)
    missing = [line for line in lines if "missing.toml" in line]
    assert {line.rsplit(": ", 2)[-2] for line in missing} >= {"bug_class", "hits", "share"}
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({**BUG_META, "kind": "feature"}, "kind: expected one of bug, benign, got 'feature'"),
        ({**BUG_META, "bug_class": "Legacy Hash"}, "bug_class: expected a short kebab-case"),
        ({**BUG_META, "precedent": "see the wiki"}, 'precedent: expected an http(s) URL or ""'),
        ({**BUG_META, "expected_gates": []}, "a bug must name the gates expected to block it"),
        ({**BUG_META, "hits": ""}, "hits: must say it for a bug"),
        ({**BUG_META, "expected_gates": ["tests", "tests"]}, "a gate is listed twice"),
        ({**BENIGN_META, "expected_gates": ["tests"]}, "must be [] for a benign patch"),
        ({**BENIGN_META, "share": "5%"}, "share: must be empty for a benign patch"),
        ({**BENIGN_META, "title": "  "}, "title: must not be empty"),
    ],
)
def test_values_are_checked(cli: CLI, zoo: Zoo, meta: dict[str, object], message: str) -> None:
    """Each rule of the format, with the offending value."""
    zoo.add("entry", zoo.diff("app.py", "x = 1\n"), meta)
    result = cli("check")
    assert result.code == 2
    assert message in result.err
    assert "entry.toml: " in result.err


def test_unreadable_and_orphan_files(cli: CLI, zoo: Zoo) -> None:
    """Invalid TOML, a patch without metadata, metadata without a patch, a bad file name."""
    patch = zoo.diff("app.py", "x = 1\n")
    zoo.add("broken", patch, 'title = "unterminated\n')
    (zoo.path / "no-meta.patch").write_text(patch, encoding="utf-8")
    (zoo.path / "no-patch.toml").write_text('title = "x"\n', encoding="utf-8")
    zoo.add("Bad_Name", patch, BUG_META)
    result = cli("check")
    assert result.code == 2
    assert "broken.toml: not valid TOML" in result.err
    assert "no-meta.toml: missing (every patch needs its metadata)" in result.err
    assert "no-patch.toml: no no-patch.patch next to it" in result.err
    assert "file name: the slug 'Bad_Name' is not kebab-case" in result.err


def test_an_empty_zoo_and_an_unknown_slug(cli: CLI, zoo: Zoo) -> None:
    """Nothing to run is bad input; so is --only naming no patch."""
    zoo.path.mkdir()
    assert "no *.patch files" in cli("check").err
    zoo.add_benign()
    result = cli("run", "--only", "docstring", "nope")
    assert result.code == 2
    assert "--only nope: no nope.patch" in result.err


def test_a_patch_that_does_not_apply_stops_the_run_before_it_starts(cli: CLI, zoo: Zoo) -> None:
    """Neither git apply nor --3way can apply it: exit 2, git's reasons, no stage run."""
    zoo.add_benign()
    stale = zoo.diff("app.py", "def greet():\n    return 'HELLO'\n").replace("hello", "howdy")
    zoo.add("stale", stale, BUG_META)
    zoo.add_benign("zz-checked-after-it")  # a failed --3way must not spoil the next check
    result = cli("run", "--stages", "api-compat")
    assert result.code == 2
    assert "stale.patch: does not apply to the baseline" in result.err
    assert "with --3way" in result.err
    assert "running" not in result.err
    assert "docstring" not in result.err
    assert "zz-checked-after-it" not in result.err


def test_unknown_stage_names_are_usage_errors(cli: CLI, zoo: Zoo) -> None:
    """--stages takes the zoo's stage names only; conformance says why it is not one."""
    zoo.add_benign()
    result = cli("run", "--stages", "tests,conformance")
    assert result.code == 2
    assert "unknown gate name(s): conformance (about 50 s per patch" in result.err
