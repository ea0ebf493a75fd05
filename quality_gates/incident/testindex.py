"""Find tests and ``@pytest.mark.incident("ID")`` markers by reading test sources with ``ast``.

Nothing is imported or run: the sources are parsed, so this works on any repository without
its dependencies. Test discovery follows pytest's defaults: ``test_*`` functions, and
``test_*`` methods of ``Test*`` classes (nested classes too).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from quality_gates.result import Finding


@dataclass
class TestIndex:
    """Node ids of the tests found, and the incident ids their markers name."""

    __test__ = False  # not a pytest test class, despite the name

    tests: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    markers: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # id -> (node, line)
    problems: list[Finding] = field(default_factory=list)

    def exists(self, node_id: str) -> bool:
        """A test, a class of tests or a test file with that node id exists."""
        base = node_id.split("[", 1)[0]
        return (
            base in self.tests
            or base in self.files
            or any(test.startswith(base + "::") for test in self.tests)
        )


def _incident_ids(node: ast.expr, marker: str) -> list[str]:
    """The ids of ``pytest.mark.<marker>("A", "B")`` (or ``mark.<marker>``), else []."""
    if isinstance(node, ast.List | ast.Tuple):
        return [i for element in node.elts for i in _incident_ids(element, marker)]
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return []
    func = node.func
    owner = func.value
    is_mark = (isinstance(owner, ast.Attribute) and owner.attr == "mark") or (
        isinstance(owner, ast.Name) and owner.id == "mark"
    )
    if func.attr != marker or not is_mark:
        return []
    return [
        arg.value
        for arg in node.args
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
    ]


def _pytestmark(body: Iterable[ast.stmt], marker: str) -> list[tuple[str, int]]:
    found = []
    for statement in body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in statement.targets
        ):
            found += [(i, statement.lineno) for i in _incident_ids(statement.value, marker)]
    return found


def _walk(
    body: Iterable[ast.stmt],
    prefix: str,
    inherited: list[tuple[str, int]],
    marker: str,
    index: TestIndex,
) -> None:
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            node_id = f"{prefix}::{node.name}"
            index.tests.add(node_id)
            own = [(i, node.lineno) for d in node.decorator_list for i in _incident_ids(d, marker)]
            for incident, line in inherited + own:
                index.markers.setdefault(incident, []).append((node_id, line))
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            own = [(i, node.lineno) for d in node.decorator_list for i in _incident_ids(d, marker)]
            own += _pytestmark(node.body, marker)
            _walk(node.body, f"{prefix}::{node.name}", inherited + own, marker, index)


def build_index(repo: Path, paths: Iterable[str], marker: str) -> TestIndex:
    """Index the tests in ``paths`` (repository-relative ``.py`` files)."""
    index = TestIndex()
    for path in sorted(paths):
        try:
            tree = ast.parse((repo / path).read_bytes(), filename=path)
        except (OSError, SyntaxError, ValueError) as exc:
            index.problems.append(
                Finding(
                    f"cannot parse test file: {exc}",
                    path=path,
                    severity="warning",
                    rule_id="test-unparsable",
                )
            )
            continue
        index.files.add(path)
        _walk(tree.body, path, _pytestmark(tree.body, marker), marker, index)
    return index
