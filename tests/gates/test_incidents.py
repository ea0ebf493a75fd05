"""The incident-registry gate: postmortems, guarding tests found with ast, JUnit results."""

from __future__ import annotations

import pytest

from tests.gates._repo import CLI, GitRepo, assert_golden, normalise

POSTMORTEM = """\
---
id: {id}
date: 2024-05-25
summary: login failed for most users after an update
tests:
{tests}
---

# What happened
"""

TESTS = """\
import pytest

pytestmark = pytest.mark.unit


def test_legacy_hash_verifies():
    assert True


@pytest.mark.incident("INC-2")
def test_upper_case_email_logs_in():
    assert True


@pytest.mark.incident("INC-1")
class TestOldTokens:
    @pytest.mark.parametrize("age", [1, 2])
    def test_old_token_accepted(self, age):
        assert age
"""


def postmortem(repo: GitRepo, incident: str, *tests: str) -> None:
    """Write postmortems/<id>.md naming ``tests``."""
    listed = "\n".join(f"  - {test}" for test in tests) or "  []"
    repo.write(f"postmortems/{incident}.md", POSTMORTEM.format(id=incident, tests=listed))


def junit(repo: GitRepo, *cases: tuple[str, str, str]) -> None:
    """Write reports/junit.xml with (classname, name, outcome) test cases."""
    body = []
    for classname, name, outcome in cases:
        inner = {"passed": "", "failed": '<failure message="boom"/>', "skipped": "<skipped/>"}
        body.append(f'<testcase classname="{classname}" name="{name}">{inner[outcome]}</testcase>')
    repo.write(
        "reports/junit.xml",
        '<?xml version="1.0"?><testsuites><testsuite name="pytest">'
        + "".join(body)
        + "</testsuite></testsuites>",
    )


ALL_PASSED = (
    ("tests.unit.test_login", "test_legacy_hash_verifies", "passed"),
    ("tests.unit.test_login", "test_upper_case_email_logs_in", "passed"),
    ("tests.unit.test_login.TestOldTokens", "test_old_token_accepted[1]", "passed"),
    ("tests.unit.test_login.TestOldTokens", "test_old_token_accepted[2]", "passed"),
)


@pytest.fixture
def registry(repo: GitRepo) -> GitRepo:
    """Two incidents: INC-1 by node id and class marker, INC-2 by function marker."""
    repo.write("tests/unit/test_login.py", TESTS)
    postmortem(repo, "INC-1", "tests/unit/test_login.py::test_legacy_hash_verifies")
    postmortem(repo, "INC-2")
    repo.write("postmortems/README.md", "How to write a postmortem.\n")
    junit(repo, *ALL_PASSED)
    repo.commit("registry")
    return repo


def test_guarded_and_passed(cli: CLI, registry: GitRepo) -> None:
    result = cli("incidents")
    assert result.code == 0, result.out
    assert "* incidents: passed (2 incident(s), 3 guarding test(s) passed)" in result.out


def test_problems_report(cli: CLI, registry: GitRepo) -> None:
    postmortem(registry, "INC-3")  # no guard at all
    postmortem(registry, "INC-4", "tests/unit/test_login.py::test_gone")
    junit(
        registry,
        ("tests.unit.test_login", "test_legacy_hash_verifies", "failed"),
        ("tests.unit.test_login.TestOldTokens", "test_old_token_accepted[1]", "passed"),
        ("tests.unit.test_login.TestOldTokens", "test_old_token_accepted[2]", "skipped"),
    )
    registry.write(
        "tests/unit/test_extra.py", '@pytest.mark.incident("INC-9")\ndef test_x():\n    pass\n'
    )
    result = cli("incidents")
    assert result.code == 1
    assert_golden("incidents_problems.txt", normalise(result.out, registry))


def test_skipped_guard_does_not_count(cli: CLI, registry: GitRepo) -> None:
    junit(
        registry,
        *ALL_PASSED[:2],
        ("tests.unit.test_login.TestOldTokens", "test_old_token_accepted[1]", "skipped"),
        ("tests.unit.test_login.TestOldTokens", "test_old_token_accepted[2]", "skipped"),
    )
    result = cli("incidents")
    assert result.code == 1
    assert (
        "INC-1: guarding test tests/unit/test_login.py::TestOldTokens::test_old_token_accepted "
        "was skipped" in result.out
    )


def test_whole_file_and_parametrized_node_ids(cli: CLI, registry: GitRepo) -> None:
    postmortem(
        registry,
        "INC-1",
        "tests/unit/test_login.py",
        "tests/unit/test_login.py::TestOldTokens::test_old_token_accepted[2]",
    )
    assert cli("incidents").code == 0


def test_invalid_front_matter_is_a_finding(cli: CLI, registry: GitRepo) -> None:
    registry.write("postmortems/INC-5.md", "---\ndate: someday\nsummary: x\n---\n")
    registry.write("postmortems/INC-6.md", "# No front matter\n")
    result = cli("incidents")
    assert result.code == 1
    assert (
        "postmortems/INC-5.md:1 [postmortem-invalid] front matter.date: expected a date"
        in result.out
    )
    assert (
        "postmortems/INC-5.md:1 [postmortem-invalid] front matter.id: missing (required)"
        in result.out
    )
    assert "postmortems/INC-6.md:1 [postmortem-invalid] no YAML front matter" in result.out


def test_missing_junit_is_bad_input(cli: CLI, registry: GitRepo) -> None:
    (registry.path / "reports/junit.xml").unlink()
    result = cli("incidents")
    assert result.code == 2
    assert "JUnit report reports/junit.xml: not found; run the tests with --junitxml" in result.err


def test_corrupt_junit_is_bad_input(cli: CLI, registry: GitRepo) -> None:
    registry.write("reports/junit.xml", "<testsuites><testcase")
    result = cli("incidents")
    assert result.code == 2
    assert "not valid XML" in result.err


def test_junit_flag_overrides_policy(cli: CLI, registry: GitRepo) -> None:
    registry.write("pyproject.toml", '[tool.quality_gates.incidents]\njunit = "elsewhere.xml"\n')
    assert cli("incidents").code == 2
    assert cli("incidents", "--incidents-junit", "reports/junit.xml").code == 0


def test_no_postmortems_is_skipped(cli: CLI, repo: GitRepo) -> None:
    repo.write("README.md", "x\n")
    repo.commit("base")
    result = cli("incidents")
    assert result.code == 0
    assert "* incidents: skipped (no postmortems in postmortems/)" in result.out
