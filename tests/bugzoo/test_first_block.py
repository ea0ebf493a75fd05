"""``run --first-block``: a buggy patch stops at its first blocking stage; benign ones run all.

The stages are faked (``RUNNERS``): each fake records that it ran and returns the status the
test gives it, so the order, the stop and the reports are seen without running a gate.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from bugzoo import matrix
from bugzoo.names import STAGES, Status
from bugzoo.pipeline import FIRST_BLOCK_ORDER, run_stages
from bugzoo.results import StageResult, ZooRun, judge, run_from_dict
from bugzoo.stages import RUNNERS, Settings, StageContext
from tests.bugzoo._zoo import BUG_META, Zoo, patch_result, zoo_run
from tests.gates._repo import CLI

Outcomes = Mapping[str, Mapping[str, Status]]  # slug -> stage -> status (default: pass)


@pytest.fixture
def fake_stages(monkeypatch: pytest.MonkeyPatch) -> Callable[[Outcomes], dict[str, list[str]]]:
    """Replace every stage with a fake; returns the stages each patch ran, in order."""

    def install(outcomes: Outcomes) -> dict[str, list[str]]:
        ran: dict[str, list[str]] = {}

        def runner(stage: str) -> Callable[[StageContext], StageResult]:
            def run(ctx: StageContext) -> StageResult:
                ran.setdefault(ctx.slug, []).append(stage)
                status = outcomes.get(ctx.slug, {}).get(stage, "pass")
                return StageResult(stage, status, f"{stage}: {status}", 1.0)

            return run

        for stage in STAGES:
            monkeypatch.setitem(RUNNERS, stage, runner(stage))
        return ran

    return install


def _stages(ctx_slug: str, *, first_block: bool, mutation: bool = True) -> list[StageResult]:
    settings = Settings(stages=STAGES, mutation_slugs=frozenset({ctx_slug} if mutation else ()))
    ctx = StageContext(Path("unused"), "base", settings, None, ctx_slug)
    return list(run_stages(ctx, first_block=first_block))


def test_the_order_is_fixed_and_keeps_the_tests_before_their_readers() -> None:
    """Every stage once; coverage and incidents read the tests stage's files, so follow it."""
    assert sorted(FIRST_BLOCK_ORDER) == sorted(STAGES)
    # Pinned: a change of order changes CI's cost and which stage it shows, so it is deliberate.
    assert " ".join(FIRST_BLOCK_ORDER) == (
        "api-compat behaviour tests incidents coverage replay mutation"
    )
    tests = FIRST_BLOCK_ORDER.index("tests")
    assert tests < FIRST_BLOCK_ORDER.index("incidents")
    assert tests < FIRST_BLOCK_ORDER.index("coverage")


def test_a_bug_stops_at_its_first_block(
    fake_stages: Callable[[Outcomes], dict[str, list[str]]],
) -> None:
    """The tests fail: incidents, coverage, replay and mutation are not run, and say why."""
    ran = fake_stages({"bug": {"tests": "fail", "replay": "fail"}})
    results = {r.stage: r for r in _stages("bug", first_block=True)}
    assert ran["bug"] == ["api-compat", "behaviour", "tests"]
    assert [s for s in STAGES if results[s].status == "not-run"] == [
        "coverage",
        "incidents",
        "replay",
        "mutation",
    ]
    assert results["replay"].reason == "tests blocked the patch first (--first-block)"
    assert results["replay"].seconds == 0.0
    assert list(results) == list(STAGES)  # reported in the usual order


def test_an_error_is_not_a_block(fake_stages: Callable[[Outcomes], dict[str, list[str]]]) -> None:
    """api-compat and the tests error: the stages go on to the replay, which blocks."""
    ran = fake_stages({"bug": {"api-compat": "error", "tests": "error", "replay": "fail"}})
    results = {r.stage: r.status for r in _stages("bug", first_block=True)}
    assert ran["bug"] == ["api-compat", "behaviour", "tests", "incidents", "coverage", "replay"]
    assert results["mutation"] == "not-run"


def test_nothing_blocks_so_every_stage_runs_in_order(
    fake_stages: Callable[[Outcomes], dict[str, list[str]]],
) -> None:
    """A bug no stage catches runs them all, one at a time, cheapest first."""
    ran = fake_stages({})
    _stages("bug", first_block=True)
    assert ran["bug"] == list(FIRST_BLOCK_ORDER)


def test_the_full_mode_runs_past_a_block(
    fake_stages: Callable[[Outcomes], dict[str, list[str]]],
) -> None:
    """Without first-block, a failure stops nothing (the matrix stays complete)."""
    ran = fake_stages({"bug": {"api-compat": "fail"}})
    results = _stages("bug", first_block=False)
    assert sorted(ran["bug"]) == sorted(STAGES)
    assert "not-run" not in {r.status for r in results}


def test_run_first_block_on_a_bug_and_a_benign_patch(
    cli: CLI,
    zoo: Zoo,
    tmp_path: Path,
    fake_stages: Callable[[Outcomes], dict[str, list[str]]],
) -> None:
    """Through the CLI: the bug stops where it is blocked, whatever its metadata expects; the
    benign patch runs every stage although a buggy one was blocked; the committed matrix is
    left alone."""
    zoo.add(
        "shout",
        zoo.diff("app.py", "def greet():\n    return 'HELLO'\n"),
        {**BUG_META, "expected_gates": ["replay"]},
    )
    zoo.add_benign("docstring")
    ran = fake_stages({"shout": {"behaviour": "fail"}})
    results = tmp_path / "r.json"
    argv = ("run", "--first-block", "--no-select", "--mutation-sample", "0", "--jobs", "1")
    result = cli(*argv, "--results", str(results))
    assert result.code == 0, result.err
    assert ran["shout"] == ["api-compat", "behaviour"]
    assert sorted(ran["docstring"]) == sorted(s for s in STAGES if s != "mutation")
    assert "shout: tests -  coverage -  api-compat ·  incidents -  behaviour ✓" in result.err
    assert "1/1 buggy patches blocked, 1/1 benign passed" in result.out
    assert not (zoo.repo.path / "docs" / "catch-matrix.md").exists()
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["settings"]["first_block"] is True
    (patch,) = (p for p in data["patches"] if p["slug"] == "shout")
    shout = {s["stage"]: s["status"] for s in patch["stages"]}
    assert shout["replay"] == "not-run"
    # Not run is not missed: no "expected replay to block it" warning.
    assert data["verdict"]["warnings"] == ["shout: also blocked by behaviour (not expected)"]


def test_a_benign_false_alarm_still_shows(
    cli: CLI,
    zoo: Zoo,
    tmp_path: Path,
    fake_stages: Callable[[Outcomes], dict[str, list[str]]],
) -> None:
    """A benign patch that the first stage blocks goes on to the last: both alarms named."""
    zoo.add_benign("docstring")
    fake_stages({"docstring": {"api-compat": "fail", "replay": "fail"}})
    argv = ("run", "--first-block", "--no-select", "--mutation-sample", "0")
    result = cli(*argv, "--results", str(tmp_path / "r.json"))
    assert result.code == 1
    assert (
        "docstring: benign patch blocked: api-compat failed: api-compat: fail; "
        "replay failed: replay: fail"
    ) in result.err


def _first_block_run() -> ZooRun:
    return zoo_run(
        patch_result(
            "pbkdf2-dropped",
            "bug",
            {"tests": "fail", "incidents": "not-run", "coverage": "not-run", "replay": "not-run"},
            expected=["tests", "replay"],
        ),
        patch_result("rename-helpers", "benign", {}),
        first_block=True,
    )


def test_rendering_a_first_block_run(tmp_path: Path) -> None:
    """Marked as not the full matrix; - where a stage was not run, with the reason; no warning
    about an expected stage that did not run; the result file reads back the same."""
    run = _first_block_run()
    path = tmp_path / "bugzoo.json"
    path.write_text(json.dumps(run.to_dict()), encoding="utf-8")
    back = run_from_dict(json.loads(path.read_text(encoding="utf-8")), str(path))
    assert back == run
    text = matrix.render(back)
    assert "**Not the full matrix: a first-block run**" in text
    row = next(line for line in text.splitlines() if line.startswith("| [pbkdf2-dropped]"))
    # tests, coverage, api-compat, incidents, behaviour, replay, mutation
    assert "| legacy-hash | ✓ | - | · | - | · | - | · |" in row
    assert "- replay - not run: an earlier stage blocked the patch first (--first-block)" in text
    assert "| pbkdf2-dropped | accounts on imported hashes | about 20% | not run |" in text
    assert judge(back).warnings == ()
    assert "Every patch was blocked by the stages expected (of those that ran)." in text


def test_a_full_run_says_full() -> None:
    """The full mode's matrix names its mode and carries no first-block note."""
    text = matrix.render(zoo_run(patch_result("caught", "bug", {"tests": "fail"})))
    assert "- mode: full, every stage on every patch" in text
    assert "Not the full matrix" not in text
    assert "(of those that ran)" not in text
