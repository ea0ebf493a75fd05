"""The pull-request template: generated from the policy, checked for sync."""

from __future__ import annotations

from tests.gates._repo import CLI, GitRepo, assert_golden

POLICY = """\
[tool.quality_gates]
critical_paths = ["authsvc/**", "**/*token*"]

[tool.quality_gates.checklist]
exemption_label = "checklist-exempt"

[[tool.quality_gates.checklist.items]]
id = "threat-model"
text = "Threat model reviewed: who can now log in, or no longer can?"

[[tool.quality_gates.checklist.items]]
id = "migration-rollback"
text = "The migration can be rolled back"
paths = ["authsvc/migrations/**"]
"""


def test_generate_then_check(cli: CLI, repo: GitRepo) -> None:
    repo.write("pyproject.toml", POLICY)
    result = cli("template")
    assert result.code == 0
    assert result.out == "wrote .github/pull_request_template.md\n"
    written = (repo.path / ".github/pull_request_template.md").read_text(encoding="utf-8")
    assert_golden("pull_request_template.md", written)
    check = cli("template", "--check")
    assert check.code == 0
    assert "* template: passed (.github/pull_request_template.md matches the policy)" in check.out


def test_check_fails_when_out_of_date(cli: CLI, repo: GitRepo) -> None:
    repo.write("pyproject.toml", POLICY)
    assert cli("template").code == 0
    repo.write("pyproject.toml", POLICY.replace("rolled back", "rolled back safely"))
    result = cli("template", "--check")
    assert result.code == 1
    assert "out of date: run `quality-gates template` to regenerate it" in result.out
    assert (
        "+- [ ] <!-- id:migration-rollback --> The migration can be rolled back safely"
        in result.out
    )


def test_check_fails_when_missing(cli: CLI, repo: GitRepo) -> None:
    repo.write("pyproject.toml", POLICY)
    result = cli("template", "--check")
    assert result.code == 1
    assert "is missing" in result.out


def test_stdout_output(cli: CLI, repo: GitRepo) -> None:
    repo.write("pyproject.toml", POLICY)
    result = cli("template", "--output", "-")
    assert result.code == 0
    assert "- [ ] <!-- id:threat-model --> Threat model reviewed" in result.out
    assert not (repo.path / ".github").exists()
