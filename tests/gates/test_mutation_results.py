"""mutmut's result files, its statuses and the score."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quality_gates.errors import InputError
from quality_gates.mutation.results import (
    Mutant,
    Score,
    count,
    interval,
    read_mutants,
    read_stats,
    status_of,
)


def meta(workdir: Path, source: str, codes: dict[str, int | None]) -> None:
    path = workdir / "mutants" / f"{source}.meta"
    path.parent.mkdir(parents=True, exist_ok=True)
    # The keys mutmut 3.8 writes; the gate reads only exit_code_by_key.
    data = {
        "exit_code_by_key": codes,
        "hash_by_function_name": {},
        "type_check_error_by_key": {},
        "durations_by_key": {},
        "estimated_durations_by_key": {},
    }
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (1, "killed"),
        (3, "killed"),
        (0, "survived"),
        (33, "no tests"),
        (5, "no tests"),
        (2, "interrupted"),
        (-24, "timeout"),
        (36, "timeout"),
        (None, "not checked"),
        (34, "skipped"),
        (-11, "segfault"),
        (99, "suspicious"),
    ],
)
def test_statuses_follow_mutmut(code: int | None, status: str) -> None:
    assert status_of(code) == status


def test_mutants_are_read_from_the_meta_files(tmp_path: Path) -> None:
    meta(tmp_path, "app/auth/login.py", {"app.auth.login.x_check__mutmut_1": 0})
    meta(tmp_path, "app/util.py", {"app.util.x_f__mutmut_1": 1, "app.util.x_f__mutmut_2": None})
    mutants = read_mutants(tmp_path)
    assert mutants["app.auth.login.x_check__mutmut_1"] == Mutant(
        "app.auth.login.x_check__mutmut_1", "app/auth/login.py", 0
    )
    assert mutants["app.auth.login.x_check__mutmut_1"].function == "app.auth.login.x_check"
    assert mutants["app.util.x_f__mutmut_2"].status == "not checked"
    assert read_mutants(tmp_path / "nothing") == {}


def test_a_corrupt_meta_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "mutants").mkdir()
    (tmp_path / "mutants" / "a.py.meta").write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="unreadable"):
        read_mutants(tmp_path)


def test_stats_give_the_tests_of_a_function_and_their_cost(tmp_path: Path) -> None:
    assert read_stats(tmp_path) is None
    (tmp_path / "mutants").mkdir()
    (tmp_path / "mutants" / "mutmut-stats.json").write_text(
        json.dumps(
            {
                "tests_by_mangled_function_name": {"app.x_f": ["t::a", "t::b"]},
                "duration_by_test": {"t::a": 0.5, "t::b": 0.25, "t::c": 9},
                "stats_time": 1.0,
            }
        ),
        encoding="utf-8",
    )
    stats = read_stats(tmp_path)
    assert stats is not None
    assert stats.tests_of("app.x_f") == {"t::a", "t::b"}
    assert stats.estimate("app.x_f") == 0.75
    assert stats.tests_of("app.x_g") == frozenset()


def test_the_score_leaves_accepted_survivors_out() -> None:
    mutants = [
        Mutant(f"m__mutmut_{i}", "m.py", code) for i, code in enumerate([1, 1, 0, 0, 36, 33])
    ]
    score = count(mutants, {"m__mutmut_2"})
    assert score == Score(killed=2, survived=1, timeout=1)
    assert score.percent == 50.0
    assert Score(0, 0, 0).percent is None


def test_the_interval_of_a_sample() -> None:
    assert interval(Score(9, 1, 0), 10) == (90.0, 90.0)  # everything tested: no error
    low, high = interval(Score(20, 0, 0), 200)
    assert 80 < low < 100  # a perfect sample does not prove a perfect population
    assert high == pytest.approx(100.0)
    low, high = interval(Score(14, 6, 0), 33)
    assert low < 70 < high
    assert interval(Score(0, 0, 0), 10) == (0.0, 100.0)
