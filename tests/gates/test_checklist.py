"""The review-checklist gate, through ``main()`` on real repositories."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.gates._repo import CLI, GitRepo, assert_golden, normalise

POLICY = """\
[tool.quality_gates]
critical_paths = ["app/auth/**", "**/*token*"]

[tool.quality_gates.checklist]
exemption_label = "checklist-exempt"

[[tool.quality_gates.checklist.items]]
id = "threat-model"
text = "Threat model reviewed for this change"

[[tool.quality_gates.checklist.items]]
id = "migration"
text = "The migration can be rolled back"
paths = ["app/migrations/**"]
"""

TICKED = """\
## What and why

Legacy PBKDF2 hashes are verified again after the hashing refactor.

- [x] <!-- id:threat-model --> Threat model reviewed (reworded on purpose)
- [ ] <!-- id:migration --> The migration can be rolled back
"""


@pytest.fixture
def critical_change(repo: GitRepo) -> GitRepo:
    """main has the app; the feature branch changes a critical file and its test."""
    repo.write("pyproject.toml", POLICY)
    repo.write("app/auth/login.py", "def login():\n    return True\n")
    repo.write("tests/test_login.py", "def test_login():\n    assert True\n")
    repo.write("README.md", "app\n")
    repo.commit("base")
    repo.publish_main()
    repo.write("app/auth/login.py", "def login():\n    return False\n")
    repo.write("tests/test_login.py", "def test_login():\n    assert not False\n")
    repo.commit("change login")
    return repo


def body(repo: GitRepo, text: str) -> str:
    """Write a PR body file and return its path."""
    return str(repo.write("body.md", text))


def test_ticked_items_pass(cli: CLI, critical_change: GitRepo) -> None:
    result = cli("checklist", "--body-file", body(critical_change, TICKED))
    assert result.code == 0, result.out
    assert_golden("checklist_pass.txt", normalise(result.out, critical_change))


def test_unticked_required_item_fails_with_its_line(cli: CLI, critical_change: GitRepo) -> None:
    text = TICKED.replace("- [x] <!-- id:threat-model -->", "- [ ] <!-- id:threat-model -->")
    result = cli("checklist", "--body-file", body(critical_change, text))
    assert result.code == 1
    assert "required item 'threat-model' is not ticked (line 5)" in result.out
    # The migration item does not apply: no migration changed.
    assert "migration" not in result.out.split("Verdict")[0].split("failed")[1]


@pytest.mark.parametrize(
    ("label", "text"),
    [
        ("struck", "- [x] <!-- id:threat-model --> ~~Threat model reviewed~~\n"),
        ("in a comment", "Prose.\n<!--\n- [x] <!-- id:threat-model --> Threat model\n-->\n"),
        ("in a code fence", "Prose.\n```\n- [x] <!-- id:threat-model --> Threat model\n```\n"),
        ("id removed", "Prose.\n- [x] Threat model reviewed\n"),
    ],
)
def test_ticks_that_do_not_count(cli: CLI, critical_change: GitRepo, label: str, text: str) -> None:
    result = cli(
        "checklist", "--body-file", body(critical_change, "Prose here.\n- [ ] other\n" + text)
    )
    assert result.code == 1, label
    assert "threat-model" in result.out


def test_a_malformed_behaviour_change_declaration_fails(cli: CLI, critical_change: GitRepo) -> None:
    """The form of each declaration is judged with the items (the behaviour gate matches them)."""
    text = TICKED + "\nbehaviour-change: the login test - it changed\n"
    result = cli("checklist", "--body-file", body(critical_change, text))
    assert result.code == 1
    assert "line 8 of the body: behaviour-change needs a pytest node id" in result.out


def test_struck_required_item_is_named_as_struck(cli: CLI, critical_change: GitRepo) -> None:
    text = "Prose.\n- [x] <!-- id:threat-model --> ~~Threat model reviewed~~\n"
    result = cli("checklist", "--body-file", body(critical_change, text))
    assert "[item-struck]" in result.out


def test_empty_body_from_event_fails(cli: CLI, critical_change: GitRepo) -> None:
    event = critical_change.write_json("event.json", {"pull_request": {"body": None, "number": 7}})
    result = cli("checklist", "--event", str(event))
    assert result.code == 1
    assert "the pull-request body is empty" in result.out


def test_untouched_template_fails(cli: CLI, critical_change: GitRepo) -> None:
    assert cli("template", "--output", "tpl.md").code == 0
    template = (critical_change.path / "tpl.md").read_text(encoding="utf-8")
    result = cli("checklist", "--body-file", body(critical_change, template))
    assert result.code == 1
    assert "[body-untouched]" in result.out


def test_body_without_checklist_is_bad_input(cli: CLI, critical_change: GitRepo) -> None:
    result = cli("checklist", "--body-file", body(critical_change, "Fixes the login bug.\n"))
    assert result.code == 2
    assert "has no checklist" in result.err
    assert "threat-model" in result.err
    assert "Traceback" not in result.err


def test_critical_change_without_test_change_fails(cli: CLI, repo: GitRepo) -> None:
    repo.write("pyproject.toml", POLICY)
    repo.write("app/auth/login.py", "x = 1\n")
    repo.write("tests/test_login.py", "def test_x():\n    pass\n")
    repo.commit("base")
    repo.publish_main()
    repo.write("app/auth/login.py", "x = 2\n")
    (repo.path / "tests/test_login.py").unlink()  # deleting a test is not testing
    repo.commit("no tests")
    result = cli("checklist", "--body-file", body(repo, TICKED))
    assert result.code == 1
    assert "critical files changed but no test changed: app/auth/login.py" in result.out


def test_rename_out_of_a_critical_path_is_critical(cli: CLI, repo: GitRepo) -> None:
    repo.write("pyproject.toml", POLICY)
    repo.write("app/auth/session_token.py", "x = 1\n")
    repo.commit("base")
    repo.publish_main()
    repo.git("mv", "app/auth/session_token.py", "app/session.py")
    repo.commit("move")
    result = cli("checklist", "--body-file", body(repo, "Moved.\n- [ ] <!-- id:threat-model -->\n"))
    assert result.code == 1
    assert "threat-model" in result.out


def test_path_specific_item_applies_only_to_its_paths(cli: CLI, critical_change: GitRepo) -> None:
    critical_change.write("app/migrations/0002.py", "up = 1\n")
    critical_change.commit("migration")
    result = cli("checklist", "--body-file", body(critical_change, TICKED))
    assert result.code == 1
    assert "required item 'migration' is not ticked (line 6)" in result.out


def test_exemption_label_needs_a_reason(cli: CLI, critical_change: GitRepo) -> None:
    path = body(critical_change, "Hotfix.\n\nExemption reason:\n")
    result = cli("checklist", "--body-file", path, "--label", "checklist-exempt")
    assert result.code == 1
    assert "needs a written reason" in result.out


def test_exemption_with_reason_passes_and_is_reported(cli: CLI, critical_change: GitRepo) -> None:
    text = "Hotfix.\n\nExemption reason: production login is down, review follows in #12\n"
    event = critical_change.write_json(
        "event.json",
        {"pull_request": {"body": text, "labels": [{"name": "checklist-exempt"}], "number": 3}},
    )
    result = cli("checklist", "--event", str(event), "--format", "json")
    assert result.code == 0
    gate = json.loads(result.out)["gates"][0]
    assert gate["metrics"]["exempt"] == 1
    assert "production login is down" in gate["findings"][0]["message"]
    assert gate["findings"][0]["severity"] == "warning"


def _reviews(repo: GitRepo) -> str:
    reviews = [
        {"user": {"login": "alice"}, "state": "APPROVED", "submitted_at": "2024-05-25T10:00:00Z"},
        {"user": {"login": "alice"}, "state": "COMMENTED", "submitted_at": "2024-05-25T11:00:00Z"},
        {"user": {"login": "bob"}, "state": "APPROVED", "submitted_at": "2024-05-25T10:00:00Z"},
        {
            "user": {"login": "bob"},
            "state": "CHANGES_REQUESTED",
            "submitted_at": "2024-05-25T12:00:00Z",
        },
        {"user": {"login": "Author"}, "state": "APPROVED", "submitted_at": "2024-05-25T12:00:00Z"},
        {"user": None, "state": "APPROVED", "submitted_at": "2024-05-25T12:00:00Z"},
    ]
    return str(repo.write_json("reviews.json", reviews))


def test_approvals_latest_state_per_reviewer_excluding_author(
    cli: CLI, critical_change: GitRepo
) -> None:
    event = critical_change.write_json(
        "event.json", {"pull_request": {"body": TICKED, "user": {"login": "author"}}}
    )
    args = ("checklist", "--event", str(event), "--reviews", _reviews(critical_change))
    one = cli(*args, "--checklist-min-approvals", "1")
    assert one.code == 0, one.out
    assert "changes requested by bob" in one.out
    two = cli(*args, "--checklist-min-approvals", "2")
    assert two.code == 1
    assert "1 approval(s) by reviewers other than the author, 2 needed" in two.out


def test_min_approvals_without_reviews_is_bad_input(cli: CLI, critical_change: GitRepo) -> None:
    result = cli(
        "checklist", "--body-file", body(critical_change, TICKED), "--checklist-min-approvals", "1"
    )
    assert result.code == 2
    assert "needs --reviews FILE" in result.err


def test_invalid_event_json_is_bad_input(
    cli: CLI, critical_change: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = critical_change.write("event.json", '{"pull_request": ')
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    result = cli("checklist")
    assert result.code == 2
    assert "GITHUB_EVENT_PATH" in result.err
    assert "invalid JSON at line 1" in result.err


def test_push_event_is_skipped_but_explicit_non_pr_event_is_bad_input(
    cli: CLI, critical_change: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = critical_change.write_json("event.json", {"ref": "refs/heads/main", "commits": []})
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    skipped = cli("checklist")
    assert skipped.code == 0
    assert "* checklist: skipped (no pull request" in skipped.out
    explicit = cli("checklist", "--event", str(event))
    assert explicit.code == 2
    assert "not a pull_request event" in explicit.err


def test_live_pull_request_object_is_accepted(cli: CLI, critical_change: GitRepo) -> None:
    live = critical_change.write_json(
        "pr.json", {"number": 5, "body": TICKED, "head": {"sha": "abc"}, "labels": []}
    )
    assert cli("checklist", "--event", str(live)).code == 0


def test_body_from_stdin(
    cli: CLI, critical_change: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(TICKED))
    assert cli("checklist", "--body-file", "-").code == 0


def test_no_change_is_skipped(cli: CLI, repo: GitRepo) -> None:
    repo.write("pyproject.toml", POLICY)
    repo.commit("base")
    repo.publish_main()
    result = cli("checklist", "--body-file", body(repo, TICKED))
    assert result.code == 0
    assert "* checklist: skipped (no change since merge base" in result.out


def test_non_critical_change_is_skipped(cli: CLI, repo: GitRepo) -> None:
    repo.write("pyproject.toml", POLICY)
    repo.commit("base")
    repo.publish_main()
    repo.write("docs/guide.md", "words\n")
    repo.commit("docs")
    result = cli("checklist", "--body-file", body(repo, "Docs only.\n"))
    assert result.code == 0
    assert "skipped (nothing required for the 1 changed file(s))" in result.out


def test_missing_body_file_is_bad_input(cli: CLI, critical_change: GitRepo, tmp_path: Path) -> None:
    result = cli("checklist", "--body-file", str(tmp_path / "nope.md"))
    assert result.code == 2
    assert "--body-file" in result.err
    assert "cannot read" in result.err


def test_test_only_change_to_a_critical_name_requires_nothing(cli: CLI, repo: GitRepo) -> None:
    repo.write("pyproject.toml", POLICY)
    repo.write("tests/test_token_expiry.py", "def test_x():\n    pass\n")
    repo.commit("base")
    repo.publish_main()
    repo.write("tests/test_token_expiry.py", "def test_x():\n    assert True\n")
    repo.commit("test only")
    result = cli("checklist", "--body-file", body(repo, "More tests.\n"))
    assert result.code == 0
    assert "skipped (nothing required" in result.out


@pytest.mark.parametrize(
    ("reviews", "message"),
    [
        ({"not": "a list"}, "expected a JSON list of reviews"),
        ([{"user": {"login": "a"}}], "[0]: expected an object with state and user"),
    ],
)
def test_invalid_reviews_are_bad_input(
    cli: CLI, critical_change: GitRepo, reviews: object, message: str
) -> None:
    path = critical_change.write_json("reviews.json", reviews)
    result = cli(
        "checklist", "--body-file", body(critical_change, TICKED), "--reviews", str(path),
        "--checklist-min-approvals", "1",
    )  # fmt: skip
    assert result.code == 2
    assert message in result.err


def test_event_with_wrong_shapes_is_bad_input(cli: CLI, critical_change: GitRepo) -> None:
    event = critical_change.write_json("event.json", {"pull_request": {"body": 3}})
    result = cli("checklist", "--event", str(event))
    assert result.code == 2
    assert "pull_request.body is not a string" in result.err
