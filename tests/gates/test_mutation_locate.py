"""A mutant's diff mapped back to its file line."""

from __future__ import annotations

from quality_gates.mutation.locate import Change, locate, parse

# What `mutmut show` prints for a mutant of canonical_email (function-relative numbering).
DIFF = '''\
--- authsvc/security/identifiers.py
+++ authsvc/security/identifiers.py
@@ -8,7 +8,7 @@
     """
     text = raw
     for _ in range(_MAX_PASSES):
-        nxt = _one_pass(text)
+        nxt = None
         if nxt == text:
             break
         text = nxt'''

SOURCE = (
    ["# header"] * 43
    + ["def canonical_email(raw: str) -> str:"]
    + ['    """Doc.'] * 7
    + ["    text = raw", "    for _ in range(_MAX_PASSES):", "        nxt = _one_pass(text)"]
    + ["        if nxt == text:", "            break", "        text = nxt", "    return text"]
)


def test_the_change_and_its_offset() -> None:
    change = parse(DIFF)
    assert change == Change("nxt = _one_pass(text)", "nxt = None", 11)
    assert change.lines == ["- nxt = _one_pass(text)", "+ nxt = None"]


def test_the_file_line() -> None:
    assert SOURCE[53] == "        nxt = _one_pass(text)"
    assert locate(SOURCE, 44, 58, parse(DIFF)) == 54


def test_comments_above_the_function_do_not_shift_the_line() -> None:
    # mutmut may include leading comments in the function's text: the offset is then too big.
    shifted = Change("nxt = _one_pass(text)", "nxt = None", 13)
    assert locate(SOURCE, 44, 58, shifted) == 54


def test_a_line_not_found_falls_back_to_the_offset() -> None:
    assert locate(SOURCE, 44, 58, Change("gone()", "", 3)) == 46
    assert locate(SOURCE, 44, 58, Change("", "added()", 99)) == 58
