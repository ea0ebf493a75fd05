"""Test selection: the map a coverage run gives, and the tests a change needs from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from quality_gates.testmap import store
from quality_gates.testmap.cli import main
from quality_gates.testmap.select import select
from tests.gates._repo import GitRepo

MAP = store.TestMap(
    "k",
    {
        "app/hashing.py": frozenset({"tests/test_hash.py::test_verify"}),
        "app/tokens.py": frozenset(
            {"tests/test_tokens.py::test_issue", "tests/test_api.py::test_me"}
        ),
    },
)
EXISTING = frozenset(
    {"app/hashing.py", "app/tokens.py", "tests/test_hash.py", "tests/test_tokens.py"}
)
GUARD = "tests/test_hash.py::test_incident_guard"


def _select(*changed: str, test_map: store.TestMap | None = MAP) -> tuple[str, ...] | None:
    return select(list(changed), test_map, existing=EXISTING, always=[GUARD]).tests


def test_a_source_change_runs_the_tests_that_execute_the_file_and_the_guards() -> None:
    assert _select("app/tokens.py") == (
        "tests/test_api.py::test_me",
        GUARD,
        "tests/test_tokens.py::test_issue",
    )


def test_a_docs_only_change_runs_only_the_incident_guards() -> None:
    assert _select("docs/replay.md", "README.md") == (GUARD,)


@pytest.mark.parametrize(
    "path",
    ["uv.lock", "pyproject.toml", "tests/conftest.py", "tests/strategies.py", "app/openapi.json"],
)
def test_what_configures_the_run_or_is_read_at_run_time_runs_everything(path: str) -> None:
    assert _select("app/hashing.py", path) is None


def test_an_edited_test_module_runs_whole_and_a_deleted_one_not_at_all() -> None:
    assert _select("tests/test_hash.py", "tests/test_gone.py") == ("tests/test_hash.py",)


def test_a_nested_readme_is_not_documentation_and_without_a_map_everything_runs() -> None:
    assert _select("app/README.md") is None  # read at run time as far as anyone can tell
    assert _select("docs/x.md", test_map=None) is None


def test_also_adds_the_suites_that_drive_a_server() -> None:
    selection = select(
        ["app/hashing.py"], MAP, existing=EXISTING, also=[("app/**", "tests/integration")]
    )
    assert selection.tests == ("tests/integration", "tests/test_hash.py::test_verify")


def test_a_stored_map_is_read_back_only_under_its_key(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    store.save(MAP, path)
    assert store.load(path, "k") == MAP
    assert store.load(path, "another baseline") is None
    path.write_text("{", encoding="utf-8")
    assert store.load(path, "k") is None


def test_the_key_follows_commit_lock_and_arguments() -> None:
    key = store.map_key("a" * 40, "lock 1", ["tests"])
    assert key == store.map_key("a" * 40, "lock 1", ["tests"])
    assert key != store.map_key("b" * 40, "lock 1", ["tests"])
    assert key != store.map_key("a" * 40, "lock 2", ["tests"])
    assert key != store.map_key("a" * 40, "lock 1", ["tests/unit"])


PROJECT = {
    "app/__init__.py": "",
    "app/hashing.py": "def verify(x):\n    return x == 1\n",
    "app/tokens.py": "def issue():\n    return 'token'\n",
    "tests/__init__.py": "",
    # The fixture executes app/tokens.py during the setup of the *second* test: coverage.py's
    # own test_function contexts would credit it to the first.
    "tests/test_app.py": (
        "import pytest\n"
        "from app import hashing, tokens\n\n"
        "@pytest.fixture\n"
        "def token():\n"
        "    return tokens.issue()\n\n"
        "@pytest.mark.parametrize('x', [1, 2])\n"
        "def test_a_hash(x):\n"
        "    assert hashing.verify(x) == (x == 1)\n\n"
        "def test_b_uses_a_token(token):\n"
        "    assert token\n"
    ),
}


def test_a_real_run_maps_each_file_to_the_tests_that_executed_it(repo: GitRepo) -> None:
    for relative, text in PROJECT.items():
        repo.write(relative, text)
    repo.write("uv.lock", "locked\n")
    commit = repo.commit("project")
    run = [sys.executable, "-m", "coverage", "run", "--source=app", "-m", "pytest", "-q"]
    plugin = ["-p", "quality_gates.testmap.contexts", "-p", "no:cacheprovider", "tests"]
    # Not the outer run's coverage settings: under `nox -s tests` COVERAGE_FILE points at the
    # suite's own data file, and the inner run's data would land there instead of the repo.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    done = subprocess.run(  # noqa: S603 - this interpreter
        [*run, *plugin], cwd=repo.path, capture_output=True, text=True, check=False, env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    cache = repo.path.parent / "cache"
    assert main(["--repo", str(repo.path), "--cache", str(cache), "build", "--", "tests"]) == 0
    key = store.map_key(commit, "locked\n", ["tests"])
    built = store.load(cache / f"{key}.json", key)
    assert built is not None
    assert built.files["app/hashing.py"] == {"tests/test_app.py::test_a_hash"}
    assert built.files["app/tokens.py"] == {"tests/test_app.py::test_b_uses_a_token"}


def test_select_prints_the_tests_of_a_change_since_the_merge_base(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    for relative, text in PROJECT.items():
        repo.write(relative, text)
    base = repo.commit("project")
    repo.publish_main()
    cache = repo.path.parent / "cache"
    key = store.map_key(base, None, ["tests"])
    store.save(
        store.TestMap(key, {"app/tokens.py": frozenset({"tests/test_app.py::b"})}),
        cache / f"{key}.json",
    )
    repo.write("app/tokens.py", "def issue():\n    return 'other'\n")
    argv = ["--repo", str(repo.path), "--cache", str(cache), "select", "--", "tests"]
    assert main(argv) == 0
    answer = json.loads(capsys.readouterr().out)
    assert (answer["baseline"], answer["tests"]) == (base, ["tests/test_app.py::b"])
    assert main(["--repo", str(repo.path / "app"), "select"]) == 2  # not the top level
