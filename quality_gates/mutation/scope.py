"""What to mutate: changed lines -> the functions enclosing them -> mutmut's names for them.

mutmut 3 mutates the bodies of top-level functions and of methods of top-level classes, and
names each mutant ``<module>.<key>__mutmut_<n>`` with ``<key>`` = ``x_<function>`` or
``xǁ<Class>ǁ<method>``. It leaves out decorated functions (but for a lone ``@staticmethod`` or
``@classmethod``), a few dunder methods, enum hooks, and everything outside a function. The
rules are mirrored here so the report can say which changed code mutmut cannot judge.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from quality_gates.errors import InputError
from quality_gates.globs import matches

CLASS_SEPARATOR = "ǁ"  # mutmut's separator in method keys
_NEVER_MUTATED = frozenset({"__getattribute__", "__setattr__", "__new__"})
_ENUM_HOOKS = frozenset({"__init__", "_generate_next_value_"})
_ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"})
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Function:
    """A function or method as mutmut sees it; ``skip`` says why mutmut leaves it alone."""

    path: str
    qualname: str  # ``f`` or ``Class.method``
    start: int  # first line, decorators included
    end: int
    module: str
    skip: str = ""

    @property
    def key(self) -> str:
        """mutmut's mangled key: ``x_f`` or ``xǁClassǁmethod``."""
        cls, _, name = self.qualname.rpartition(".")
        return f"x{CLASS_SEPARATOR}{cls}{CLASS_SEPARATOR}{name}" if cls else f"x_{name}"

    @property
    def mangled(self) -> str:
        """What mutmut's stats and names use: ``<module>.<key>``."""
        return f"{self.module}.{self.key}".replace(".__init__.", ".")

    @property
    def prefix(self) -> str:
        """Every mutant name of this function starts with this."""
        return self.mangled + "__mutmut_"

    @property
    def dotted(self) -> str:
        """``module.function`` or ``module.Class.method``, as the survivors file names it."""
        return f"{self.module.removesuffix('.__init__')}.{self.qualname}"


@dataclass(frozen=True)
class Scope:
    """The functions to mutate, and the changed code mutmut cannot mutate."""

    functions: tuple[Function, ...] = ()
    skipped: tuple[Function, ...] = ()
    outside: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def files(self) -> tuple[str, ...]:
        """The files holding functions to mutate."""
        return tuple(sorted({function.path for function in self.functions}))


def module_name(path: str) -> str:
    """mutmut's module name for a file: ``src/pkg/mod.py`` -> ``pkg.mod``."""
    name = path.removesuffix(".py").replace("/", ".")
    return name.removeprefix("src.")


def _skip_reason(node: FunctionNode, *, enum_class: bool) -> str:
    decorators = node.decorator_list
    lone = decorators[0] if len(decorators) == 1 else None
    allowed = isinstance(lone, ast.Name) and lone.id in ("staticmethod", "classmethod")
    if decorators and not allowed:
        return "decorated (mutmut 3 does not mutate decorated functions)"
    if node.name in _NEVER_MUTATED:
        return f"mutmut never mutates {node.name}"
    if enum_class and node.name in _ENUM_HOOKS:
        return "enum hook (mutmut never mutates it)"
    return ""


def _is_enum(node: ast.ClassDef) -> bool:
    names = (b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases)
    return any(name in _ENUM_BASES for name in names)


def functions_in(source: str, path: str) -> list[Function]:
    """Every function and method mutmut could mutate in ``source`` (skipped ones marked)."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise InputError(f"{path}:{exc.lineno}: cannot parse: {exc.msg}") from None
    module = module_name(path)
    found: list[Function] = []

    def add(node: FunctionNode, qualname: str, *, enum_class: bool = False) -> None:
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        end = node.end_lineno or node.lineno
        found.append(
            Function(path, qualname, start, end, module, _skip_reason(node, enum_class=enum_class))
        )

    for node in tree.body:
        if isinstance(node, FunctionNode):
            add(node, node.name)
        elif isinstance(node, ast.ClassDef):
            enum_class = _is_enum(node)
            for member in node.body:
                if isinstance(member, FunctionNode):
                    add(member, f"{node.name}.{member.name}", enum_class=enum_class)
    return found


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of unusual paths, as ``quality_gates.git`` does."""
    if not (len(path) >= 2 and path.startswith('"') and path.endswith('"')):
        return path
    raw = path[1:-1].encode("utf-8").decode("unicode_escape")
    return raw.encode("latin-1").decode("utf-8", errors="surrogateescape")


def touched_lines(diff_text: str) -> dict[str, set[int]]:
    """Lines of each file (new numbering) that a ``git diff -U0`` adds or deletes next to.

    A pure deletion touches the line before it, so removing a line from a function still
    selects that function (``git diff`` gives no added line for it).
    """
    touched: dict[str, set[int]] = {}
    current: set[int] | None = None
    for line in diff_text.splitlines():
        if line.startswith("diff --git "):
            current = None
        elif line.startswith("+++ "):
            target = _unquote(line[4:].rstrip("\t"))
            current = touched.setdefault(target[2:], set()) if target.startswith("b/") else None
        elif current is not None and (match := _HUNK.match(line)):
            start, count = int(match.group(1)), int(match.group(2) or "1")
            current.update(range(start, start + count) if count else (max(start, 1),))
    return touched


def _enclosing(functions: list[Function], line: int) -> Function | None:
    # The innermost (latest-starting) span wins; top-level spans never overlap anyway.
    inside = [f for f in functions if f.start <= line <= f.end]
    return max(inside, key=lambda f: f.start) if inside else None


def changed_scope(sources: Mapping[str, str], lines: Mapping[str, Iterable[int]]) -> Scope:
    """The functions enclosing the changed ``lines`` of each file in ``sources``."""
    chosen: dict[tuple[str, str], Function] = {}
    outside: dict[str, tuple[int, ...]] = {}
    for path, source in sorted(sources.items()):
        functions = functions_in(source, path)
        text = source.splitlines()
        loose: list[int] = []
        for line in sorted(set(lines.get(path, ()))):
            function = _enclosing(functions, line)
            if function is None:
                code = text[line - 1].strip() if line <= len(text) else ""
                if code and not code.startswith("#"):  # blank lines and comments do nothing
                    loose.append(line)
            else:
                chosen[(path, function.qualname)] = function
        if loose:
            outside[path] = tuple(loose)
    return _split(chosen.values(), outside)


def full_scope(sources: Mapping[str, str]) -> Scope:
    """Every function of every file in ``sources`` (``--all``)."""
    everything = [f for path, src in sorted(sources.items()) for f in functions_in(src, path)]
    return _split(everything, {})


def _split(functions: Iterable[Function], outside: dict[str, tuple[int, ...]]) -> Scope:
    ordered = sorted(functions, key=lambda f: (f.path, f.start))
    return Scope(
        functions=tuple(f for f in ordered if not f.skip),
        skipped=tuple(f for f in ordered if f.skip),
        outside=outside,
    )


def candidate(path: str, paths: tuple[str, ...], skip: tuple[str, ...]) -> bool:
    """Whether ``path`` is code to mutate: Python, in ``paths``, not in ``skip`` (tests...)."""
    return path.endswith(".py") and matches(path, paths) and not matches(path, skip)
