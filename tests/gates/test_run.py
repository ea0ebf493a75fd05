"""``quality-gates run``: every gate of the policy on one repository, one combined report."""

from __future__ import annotations

import json

from tests.gates._repo import CLI, GitRepo, assert_golden, normalise
from tests.gates._scenarios import GEN, LOGIN_V1, LOGIN_V2, RUN, UTIL, measure, spec

POLICY = """\
[tool.coverage.run]
branch = true
relative_files = true
source = ["app"]

[tool.quality_gates]
critical_paths = ["app/auth/**"]

[[tool.quality_gates.checklist.items]]
id = "threat-model"
text = "Threat model reviewed"

[tool.quality_gates.coverage]
fail_under = 50
critical_fail_under = 50

[tool.quality_gates.api_compat]
snapshot = "openapi.json"
command = ["python", "gen.py"]

[tool.quality_gates.incidents]
junit = "junit.xml"
"""

POSTMORTEM = """\
---
id: INC-2024-05-25
date: 2024-05-25
summary: login failed for most users after an update
tests: [tests/test_login.py::test_legacy_password]
---
"""

JUNIT = (
    '<testsuites><testsuite name="pytest"><testcase classname="tests.test_login" '
    'name="test_legacy_password"/></testsuite></testsuites>'
)


def build(repo: GitRepo) -> None:
    """A repository where the change adds an untested branch to a critical file."""
    repo.write(".gitignore", ".coverage\n__pycache__/\n")
    repo.write("pyproject.toml", POLICY)
    for path, text in {
        "app/__init__.py": "",
        "app/auth/__init__.py": "",
        "app/auth/login.py": LOGIN_V1,
        "app/util.py": UTIL,
        "tests/__init__.py": "",
        "tests/run.py": RUN,
        "tests/test_login.py": "def test_legacy_password():\n    assert True\n",
        "gen.py": GEN,
        "postmortems/INC-2024-05-25.md": POSTMORTEM,
        "junit.xml": JUNIT,
    }.items():
        repo.write(path, text)
    repo.write_json("openapi.json", spec())
    repo.write_json("app_spec.json", spec())
    repo.commit("base")
    repo.publish_main()
    repo.write("app/auth/login.py", LOGIN_V2)
    repo.write("tests/test_login.py", "def test_legacy_password():\n    assert 1\n")
    repo.commit("accept legacy passwords")
    measure(repo)


def test_combined_report(cli: CLI, repo: GitRepo) -> None:
    build(repo)
    body = repo.write("body.md", "Accept legacy hashes.\n\n- [x] <!-- id:threat-model --> done\n")
    summary = repo.path.parent / "summary.md"
    result = cli(
        "run",
        "--body-file",
        str(body),
        f"--report=markdown={summary}",
        f"--report=json={repo.path.parent / 'r.json'}",
    )
    assert result.code == 1
    assert_golden("run.txt", normalise(result.out, repo))
    assert_golden("run.md", normalise(summary.read_text(encoding="utf-8"), repo))
    statuses = {
        g["gate"]: g["status"]
        for g in json.loads((repo.path.parent / "r.json").read_text())["gates"]
    }
    assert statuses == {
        "checklist": "pass",
        "coverage": "fail",
        "api-compat": "pass",
        "incidents": "pass",
    }


def test_policy_gates_choose_what_runs(cli: CLI, repo: GitRepo) -> None:
    build(repo)
    repo.write(
        "pyproject.toml",
        POLICY.replace("[tool.quality_gates]\n", '[tool.quality_gates]\ngates = ["incidents"]\n'),
    )
    result = cli("run")
    assert result.code == 0
    assert result.out.startswith("Ran 1 gate:\n* incidents: passed")
