"""The behaviour-change gate, through ``main()`` on real repositories.

main holds a lockout rule (locked at 5 failures) and its tests; each feature branch changes the
rule and edits, renames, moves, parametrises or deletes the tests that pinned it down.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.gates._repo import CLI, GitRepo

POLICY = """\
[tool.quality_gates]
critical_paths = ["shop/**"]
gates = ["behaviour"]

[tool.quality_gates.checklist]
min_approvals = 1
"""
CODE = "LIMIT = 5\n\n\ndef locked(failures):\n    return failures >= LIMIT\n"
TESTS = """\
import pytest

from shop.lockout import LIMIT, locked


def test_locked_after_five():
    assert locked(5)


@pytest.mark.parametrize("failures", [0, 1, 4])
def test_open_below_the_limit(failures):
    assert not locked(failures)


class TestLimit:
    def test_limit_is_five(self):
        assert LIMIT == 5
"""
OLD = "tests/test_lockout.py"
REASON = "the limit is now 10 failures, as support asked in ticket 42"
BOTH = (
    f"behaviour-change: {OLD}::test_locked_after_five — {REASON}",
    f"behaviour-change: {OLD}::TestLimit — {REASON}",
)


@pytest.fixture
def shop(repo: GitRepo) -> GitRepo:
    """main: the rule and its tests; then the branch ``feature``."""
    repo.write("pyproject.toml", POLICY)
    repo.write("shop/__init__.py", "")
    repo.write("shop/lockout.py", CODE)
    repo.write(OLD, TESTS)
    repo.commit("base")
    repo.publish_main()
    return repo


@pytest.fixture(autouse=True)
def _fast_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    """The re-runs need no plugin; loading this environment's (Hypothesis...) costs seconds."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def raise_limit(repo: GitRepo, limit: int = 10) -> None:
    """The code change, and the test edited to match, as a hurried developer does."""
    repo.write("shop/lockout.py", CODE.replace("LIMIT = 5", f"LIMIT = {limit}"))
    edited = TESTS.replace("locked(5)", f"locked({limit})").replace("== 5", f"== {limit}")
    repo.write(OLD, edited)


def pr(repo: GitRepo, *declarations: str, approved: bool = True) -> list[str]:
    """The PR options: a body with these declaration lines, reviews, the author."""
    body = "## What\n\nRaise the lockout limit.\n\n" + "".join(f"{d}\n" for d in declarations)
    reviews = [{"user": {"login": "bob"}, "state": "APPROVED" if approved else "COMMENTED"}]
    repo.path.parent.joinpath("body.md").write_text(body, encoding="utf-8")
    repo.path.parent.joinpath("reviews.json").write_text(json.dumps(reviews), encoding="utf-8")
    folder = str(repo.path.parent)
    return [
        "--body-file",
        f"{folder}/body.md",
        "--reviews",
        f"{folder}/reviews.json",
        "--author",
        "alice",
    ]


def gate(cli: CLI, *args: str) -> tuple[int, dict[str, Any], str]:
    result = cli("behaviour", "--format", "json", *args)
    data = json.loads(result.out) if result.out.strip() else {"gates": [{}]}
    return result.code, data["gates"][0], result.err


def rules(result: dict[str, Any]) -> list[str]:
    findings = result["findings"]
    assert isinstance(findings, list)
    return [f"{f['rule_id']} {f['message']}" for f in findings]


def test_an_undeclared_change_fails_and_shows_the_old_failure(cli: CLI, shop: GitRepo) -> None:
    raise_limit(shop)
    shop.commit("raise the limit")
    code, result, _ = gate(cli, *pr(shop))
    assert code == 1
    assert result["status"] == "fail"
    assert result["summary"] == "2 undeclared behaviour change(s) of 2"
    found = rules(result)
    assert any(
        line.startswith(
            f"behaviour-undeclared undeclared behaviour change: {OLD}::"
            "test_locked_after_five passed on the baseline and fails on the candidate: "
        )
        and "assert False" in line
        for line in found
    ), found
    assert any(
        f"{OLD}::TestLimit::test_limit_is_five" in line and "10 == 5" in line for line in found
    )
    assert result["metrics"] == {"test_files": 1, "baseline_passed": 5, "behaviour_changes": 2}


def test_declared_and_approved_changes_pass(cli: CLI, shop: GitRepo) -> None:
    raise_limit(shop)
    shop.commit("raise the limit")
    options = pr(
        shop,
        f"- behaviour-change: `{OLD}::test_locked_after_five` — {REASON}",
        f"- behaviour-change: {OLD}::TestLimit::test_limit_is_five - {REASON}",
    )
    code, result, _ = gate(cli, *options)
    assert code == 0, result
    assert result["summary"] == "2 behaviour change(s), each declared and approved"
    declared = [line for line in rules(result) if line.startswith("behaviour-declared")]
    assert len(declared) == 2
    assert any("the old test now fails: assert False" in line for line in declared)


def test_declared_but_not_approved_fails(cli: CLI, shop: GitRepo) -> None:
    raise_limit(shop)
    shop.commit("raise the limit")
    code, result, _ = gate(cli, *pr(shop, *BOTH, approved=False))
    assert code == 1
    assert result["summary"] == (
        "behaviour changes need 1 approval(s) by reviewers other than the author, 0 given"
    )


def test_a_pr_that_only_adds_tests_is_not_affected(cli: CLI, shop: GitRepo) -> None:
    shop.write("tests/test_more.py", "def test_four_is_open():\n    assert True\n")
    shop.commit("more tests")
    code, result, _ = gate(cli)
    assert code == 0
    assert result["status"] == "skipped"
    assert result["reason"].startswith("no existing test, or support file a test uses, changed")


def test_tests_edited_without_a_code_change_are_not_rerun(cli: CLI, shop: GitRepo) -> None:
    shop.write(OLD, TESTS + "\n\ndef test_two_is_open():\n    assert not locked(2)\n")
    shop.commit("another case")
    code, result, _ = gate(cli)
    assert (code, result["status"]) == (0, "pass")
    assert result["summary"] == "only tests changed: the baseline's 1 file(s) judge the same code"


def test_a_code_change_that_keeps_the_old_tests_green_passes(cli: CLI, shop: GitRepo) -> None:
    shop.write(
        "shop/lockout.py", CODE + "\n\ndef remaining(failures):\n    return LIMIT - failures\n"
    )
    shop.write(
        OLD,
        TESTS + "\n\ndef test_remaining():\n    from shop.lockout import remaining\n"
        "    assert remaining(1) == 4\n",
    )
    shop.commit("remaining attempts")
    code, result, _ = gate(cli)
    assert code == 0, result
    assert result["summary"] == (
        "no behaviour change: the baseline's 5 passing test(s) pass on the candidate"
    )


def test_renamed_test_is_reported_under_its_old_name(cli: CLI, shop: GitRepo) -> None:
    raise_limit(shop)
    text = (shop.path / OLD).read_text(encoding="utf-8")
    shop.write(OLD, text.replace("test_locked_after_five", "test_locked_at_the_limit"))
    shop.commit("rename")
    code, result, _ = gate(cli)
    assert code == 1
    found = rules(result)
    assert any(f"{OLD}::test_locked_after_five passed on the baseline" in line for line in found)
    assert all("(no pull request body to declare it in)" in line for line in found)


def test_moved_file_runs_the_old_path(cli: CLI, shop: GitRepo) -> None:
    raise_limit(shop)
    shop.write("tests/unit/test_lockout_rules.py", (shop.path / OLD).read_text(encoding="utf-8"))
    (shop.path / OLD).unlink()
    shop.commit("move")
    assert shop.git("show", "--name-status", "--format=").startswith("M\tshop/lockout.py\nR")
    code, result, _ = gate(
        cli, *pr(shop, f"behaviour-change: {OLD}::test_locked_after_five — {REASON}")
    )
    assert code == 1
    found = rules(result)
    assert any(line.startswith("behaviour-declared") for line in found)
    assert any(
        "behaviour-undeclared" in line and "TestLimit::test_limit_is_five" in line for line in found
    )


def test_a_parametrised_test_is_declared_whole_or_case_by_case(cli: CLI, shop: GitRepo) -> None:
    shop.write("shop/lockout.py", CODE.replace(">= LIMIT", ">= LIMIT - 1"))
    shop.write(OLD, TESTS.replace("[0, 1, 4]", "[0, 1, 3]"))
    shop.commit("lock one failure earlier")
    code, result, _ = gate(cli, *pr(shop))
    assert code == 1
    assert any(f"{OLD}::test_open_below_the_limit[4] passed" in line for line in rules(result))
    whole = f"behaviour-change: {OLD}::test_open_below_the_limit — {REASON}"
    assert gate(cli, *pr(shop, whole))[0] == 0
    case = f"behaviour-change: {OLD}::test_open_below_the_limit[4] — {REASON}"
    assert gate(cli, *pr(shop, case))[0] == 0


def test_a_deleted_test_file_still_judges_the_change(cli: CLI, shop: GitRepo) -> None:
    shop.write("shop/lockout.py", CODE.replace("def locked", "def is_locked"))
    shop.git("rm", "-q", OLD)
    shop.commit("rename the function, drop its tests")
    code, result, _ = gate(cli, *pr(shop))
    assert code == 1
    assert result["metrics"]["behaviour_changes"] == 5
    found = rules(result)
    assert any("ImportError" in line or "cannot import name 'locked'" in line for line in found), (
        found
    )


@pytest.mark.parametrize(
    ("line", "rule", "text"),
    [
        ("behaviour-change: the lockout test — changed", "declaration-malformed", "node id"),
        (f"behaviour-change: {OLD}::test_locked_after_five", "declaration-malformed", "reason"),
        (f"behaviour-change: {OLD}::test_gone — {REASON}", "declaration-unknown", "names no test"),
    ],
)
def test_bad_declarations_are_findings(
    cli: CLI, shop: GitRepo, line: str, rule: str, text: str
) -> None:
    raise_limit(shop)
    shop.commit("raise the limit")
    code, result, _ = gate(cli, *pr(shop, line))
    assert code == 1
    assert any(found.startswith(rule) and text in found for found in rules(result)), rules(result)


def test_declared_changes_without_reviews_are_bad_input(cli: CLI, shop: GitRepo) -> None:
    raise_limit(shop)
    shop.commit("raise the limit")
    code, result, err = gate(cli, *pr(shop, *BOTH)[:2])
    assert code == 2
    assert result["status"] == "error"
    assert "needs 1 approval(s)" not in err
    assert "give --reviews FILE" in err


@pytest.mark.parametrize(
    ("support", "uses"),
    [
        ("tests/_expect.py", "from _expect import LIMIT as EXPECTED\n"),
        ("tests/conftest.py", ""),
    ],
)
def test_a_changed_helper_or_conftest_reruns_the_tests_it_serves(
    cli: CLI, repo: GitRepo, support: str, uses: str
) -> None:
    """The rule and the helper that holds the expected value change together; the test
    module itself is untouched, and is re-run with the baseline's helper."""
    helper = (
        "LIMIT = {}\n"
        if uses
        else "import pytest\n\n\n@pytest.fixture\ndef EXPECTED():\n    return {}\n"
    )
    test = (
        uses
        + "from shop.lockout import locked\n\n\n"
        + "def test_locked_at_the_limit({}):\n    assert locked(EXPECTED)\n"
    )
    repo.write("pyproject.toml", POLICY)
    repo.write("shop/__init__.py", "")
    repo.write("shop/lockout.py", CODE)
    repo.write(support, helper.format(5))
    repo.write("tests/test_rule.py", test.format("" if uses else "EXPECTED"))
    repo.write("tests/test_other.py", "def test_unrelated():\n    assert True\n")
    repo.commit("base")
    repo.publish_main()
    repo.write("shop/lockout.py", CODE.replace("LIMIT = 5", "LIMIT = 10"))
    repo.write(support, helper.format(10))
    repo.commit("raise the limit, and the expected value")
    code, result, _ = gate(cli)
    assert code == 1
    assert result["metrics"]["test_files"] == (1 if uses else 2)
    assert any(
        "tests/test_rule.py::test_locked_at_the_limit passed on the baseline" in line
        for line in rules(result)
    )


def test_an_unreadable_body_is_bad_input_even_with_nothing_to_judge(
    cli: CLI, shop: GitRepo
) -> None:
    code, result, err = gate(cli, "--body-file", str(shop.path / "missing.md"))
    assert code == 2
    assert result["status"] == "error"
    assert "--body-file" in err
    assert "missing.md: cannot read" in err


def test_a_rerun_past_its_timeout_is_an_error(cli: CLI, shop: GitRepo) -> None:
    """A hanging test stops the gate with a clear reason (exit 2), not a hung run."""
    (shop.path / "pyproject.toml").write_text(
        POLICY + "\n[tool.quality_gates.behaviour]\ntimeout = 2\n", encoding="utf-8"
    )
    shop.commit("a short timeout")
    shop.git("update-ref", "refs/remotes/origin/main", "HEAD")
    shop.write("shop/lockout.py", CODE + "\nimport time\n\ntime.sleep(60)\n")
    shop.write(OLD, TESTS + "\n")
    shop.commit("a slow import")
    code, result, err = gate(cli)
    assert code == 2
    assert result["status"] == "error"
    assert "pytest on the re-run test files took over 2 s" in err
