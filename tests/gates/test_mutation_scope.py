"""Scoping: changed lines -> enclosing functions -> mutmut's names for them."""

from __future__ import annotations

import textwrap

import pytest

from quality_gates.errors import InputError
from quality_gates.mutation.scope import (
    candidate,
    changed_scope,
    full_scope,
    functions_in,
    module_name,
    touched_lines,
)

SOURCE = textwrap.dedent(
    '''\
    """A module."""
    import enum

    LIMIT = 3


    def plain(a):
        return a + 1


    async def fetch(a):
        return a


    @property
    def decorated(self):
        return 1


    class Account:
        kind = "user"

        def check(self, password):
            return password == "x"

        @staticmethod
        def make():
            return Account()

        def __new__(cls):
            return super().__new__(cls)


    class Colour(enum.Enum):
        RED = 1

        def __init__(self, value):
            self.v = value
    '''
)


def test_functions_as_mutmut_sees_them() -> None:
    found = {f.qualname: f for f in functions_in(SOURCE, "app/auth/login.py")}
    assert list(found) == [
        "plain",
        "fetch",
        "decorated",
        "Account.check",
        "Account.make",
        "Account.__new__",
        "Colour.__init__",
    ]
    assert (found["plain"].start, found["plain"].end) == (7, 8)
    assert found["decorated"].start == 15  # the decorator's line
    assert "decorated" in found["decorated"].skip
    assert not found["Account.make"].skip  # a lone @staticmethod is mutated
    assert found["Account.__new__"].skip
    assert found["Colour.__init__"].skip
    assert not found["fetch"].skip


def test_mutmut_names() -> None:
    found = {f.qualname: f for f in functions_in(SOURCE, "app/auth/login.py")}
    assert found["plain"].prefix == "app.auth.login.x_plain__mutmut_"
    assert found["Account.check"].mangled == "app.auth.login.xǁAccountǁcheck"
    assert found["Account.check"].dotted == "app.auth.login.Account.check"
    package = functions_in("def f():\n    return 1\n", "pkg/__init__.py")[0]
    assert package.mangled == "pkg.x_f"
    assert package.dotted == "pkg.f"
    assert module_name("src/pkg/mod.py") == "pkg.mod"


def test_a_file_that_does_not_parse_is_bad_input() -> None:
    with pytest.raises(InputError, match=r"app/x\.py:1: cannot parse"):
        functions_in("def (:\n", "app/x.py")


DIFF = """\
diff --git a/app/auth/login.py b/app/auth/login.py
index 1..2 100644
--- a/app/auth/login.py
+++ b/app/auth/login.py
@@ -8 +8 @@ def plain(a):
-    return a + 2
+    return a + 1
@@ -13 +12,0 @@ async def fetch(a):
-    await something()
@@ -3,0 +4 @@
+LIMIT = 3
diff --git "a/app/caf\\303\\251.py" "b/app/caf\\303\\251.py"
--- "a/app/caf\\303\\251.py"
+++ "b/app/caf\\303\\251.py"
@@ -1,0 +2,2 @@
+x = 1
+y = 2
"""


def test_touched_lines_include_pure_deletions_and_quoted_names() -> None:
    touched = touched_lines(DIFF)
    assert touched["app/auth/login.py"] == {8, 12, 4}
    assert touched["app/café.py"] == {2, 3}


def test_changed_scope_maps_lines_to_functions() -> None:
    scope = changed_scope({"app/auth/login.py": SOURCE}, {"app/auth/login.py": {4, 8, 12, 16, 24}})
    assert [f.qualname for f in scope.functions] == ["plain", "fetch", "Account.check"]
    assert [f.qualname for f in scope.skipped] == ["decorated"]
    assert scope.outside == {"app/auth/login.py": (4,)}
    assert scope.files == ("app/auth/login.py",)


def test_a_deletion_selects_the_function_it_was_in() -> None:
    # `await something()` was the last line of fetch: the hunk touches line 12.
    scope = changed_scope({"app/auth/login.py": SOURCE}, touched_lines(DIFF))
    assert "fetch" in [f.qualname for f in scope.functions]


def test_full_scope_takes_every_function() -> None:
    scope = full_scope({"app/auth/login.py": SOURCE})
    assert len(scope.functions) == 4
    assert len(scope.skipped) == 3


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("app/auth/login.py", True),
        ("app/auth/README.md", False),
        ("tests/test_login.py", False),
        ("app/auth/test_login.py", False),
        ("other/x.py", False),
    ],
)
def test_candidates(path: str, expected: bool) -> None:
    assert candidate(path, ("app/**",), ("tests/**", "**/test_*.py")) is expected
