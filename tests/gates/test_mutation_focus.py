"""Which mutants judge a change: placement on changed lines, twins of renamed functions."""

from __future__ import annotations

from quality_gates.mutation import focus
from quality_gates.mutation.baseline import counterpart
from quality_gates.mutation.locate import parse
from quality_gates.mutation.results import Mutant
from quality_gates.mutation.scope import functions_in

OLD = "def _digest(token):\n    text = token.strip()\n    return hash(text) % 97\n"
NEW = "def _stored_form(token):\n    text = token.strip()\n    return hash(text) % 97\n"


def _placed(line: int, code: int, original: str, mutated: str) -> focus.Placed:
    function = functions_in(NEW, "pkg/t.py")[0]
    diff = f"@@ -{line} +{line} @@\n-{original}\n+{mutated}\n"
    name = f"{function.prefix}{line}"
    return focus.Placed(Mutant(name, "pkg/t.py", code), function, parse(diff), line)


def test_a_renamed_function_finds_its_old_self_through_its_unchanged_lines() -> None:
    new = functions_in(NEW, "pkg/t.py")[0]
    old = functions_in(OLD, "pkg/t.py")
    assert counterpart(new, NEW, OLD, old) == "pkg.t.x__digest"
    assert counterpart(new, NEW, "", []) == ""


def test_mutants_on_changed_lines_count_and_survivors_elsewhere_meet_their_twins() -> None:
    killed_inside = _placed(1, 1, "def _stored_form(token):", "def _stored_form(token=None):")
    survivor_outside = _placed(3, 0, "return hash(text) % 97", "return hash(text) % 98")
    killed_outside = _placed(2, 1, "text = token.strip()", "text = None")
    inside, outside = focus.split(
        [killed_inside, survivor_outside, killed_outside], {"pkg/t.py": {1}}
    )
    assert inside == {killed_inside.mutant.name}
    assert outside == [survivor_outside]
    name = survivor_outside.mutant.name
    debt = focus.focus(inside, outside, {name: "survived"}, [])
    assert (debt.counted, debt.debt, debt.regressions) == (frozenset(inside), (name,), frozenset())
    regression = focus.focus(inside, outside, {name: "killed"}, [])
    assert regression.regressions == {name}
    assert name in regression.counted
    new_code = focus.focus(inside, outside, {name: focus.NO_TWIN}, [])
    assert (name in new_code.counted, new_code.regressions) == (True, frozenset())
    unknown = focus.focus(inside, outside, {}, ["budget"])
    assert (unknown.unresolved, unknown.counted) == ((name,), frozenset(inside))
    inside_survivor = _placed(1, 0, "def _stored_form(token):", "def _stored_form(token=1):")
    moved = focus.focus({inside_survivor.mutant.name}, [inside_survivor], {}, [])
    assert moved.counted == {inside_survivor.mutant.name}  # not compared: still judged
    name = inside_survivor.mutant.name
    moved = focus.focus({name}, [inside_survivor], {name: "survived"}, [])
    assert (moved.counted, moved.debt) == (frozenset(), (name,))
