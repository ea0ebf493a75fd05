"""The outcome of each test in a JUnit XML report, as pytest writes it (``--junitxml``).

Parsed with ``xml.etree``: defusedxml is not installed, and the report is one our own test run
just wrote; the expat bundled with supported Pythons also refuses entity-expansion bombs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from quality_gates.errors import InputError

Outcome = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True)
class Case:
    """One ``<testcase>``."""

    classname: str
    name: str
    outcome: Outcome
    detail: str = ""  # the failure's message and the start of its report


_DETAIL_LINES = 12


def _detail(case: ET.Element) -> str:
    problem = case.find("failure")
    if problem is None:
        problem = case.find("error")
    if problem is None:
        return ""
    text = (problem.text or "").strip().splitlines()
    # pytest's "E   " lines are the assertion and its explanation; else the report's end.
    explained = [line[1:].strip() for line in text if line.startswith("E ")] or text[-4:]
    lines: list[str] = []
    for line in [*problem.get("message", "").splitlines(), *explained[:_DETAIL_LINES]]:
        if line.strip() and line.strip() not in lines:
            lines.append(line.strip())
    return "\n".join(lines)


def load_junit(path: Path, shown: str) -> list[Case]:
    """Every test case of the report; ``InputError`` when it is missing or not JUnit XML."""
    if not path.is_file():
        raise InputError(
            f"JUnit report {shown}: not found; run the tests with --junitxml={shown} first "
            "(or set tool.quality_gates.incidents.junit)"
        )
    try:
        root = ET.parse(path).getroot()  # noqa: S314 - see the module docstring
    except ET.ParseError as exc:
        raise InputError(f"JUnit report {shown}: not valid XML: {exc}") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise InputError(f"JUnit report {shown}: root element is <{root.tag}>, not <testsuites>")
    cases = []
    for case in root.iter("testcase"):
        outcome: Outcome = "passed"
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        elif case.find("skipped") is not None:
            outcome = "skipped"
        cases.append(Case(case.get("classname", ""), case.get("name", ""), outcome, _detail(case)))
    return cases


def cases_for(node_id: str, cases: list[Case]) -> list[Case]:
    """The cases a node id covers: a test (all its parameters), a class, or a file."""
    parts = node_id.split("::")
    module = parts[0].removesuffix(".py").replace("/", ".")
    params = ""
    if "[" in parts[-1]:
        parts[-1], _, params = parts[-1].partition("[")
        params = "[" + params
    if len(parts) == 1:
        return [c for c in cases if c.classname == module or c.classname.startswith(module + ".")]
    *classes, last = parts[1:]
    owner = ".".join([module, *classes])
    as_test = [
        c
        for c in cases
        if c.classname == owner
        and (c.name == last + params or (not params and c.name.startswith(last + "[")))
    ]
    if as_test:
        return as_test
    scope = f"{owner}.{last}"  # the last part may be a class
    return [c for c in cases if c.classname == scope or c.classname.startswith(scope + ".")]
