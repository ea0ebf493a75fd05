"""Helpers of the replay tests: a clone of this repository, candidate commits, gate runs.

Each candidate is a real git commit in a temporary clone of this repository: the baseline is
``main`` (the clone's ``origin/main``), the candidate the clone's working tree on a branch with
one small patch to authsvc. Populations are small and hashing cheap so a whole run takes seconds;
the environments are shared through one cache (candidates that keep uv.lock reuse the
baseline's venv).
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quality_gates.cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]

#: authsvc's endpoints, as profiles/authsvc.toml has them, plus what the replay needs.
PROFILE = """\
[target]
name = "authsvc"

[endpoints.register]
method = "POST"
path = "/v1/users"
success = [201]

[endpoints.login]
method = "POST"
path = "/v1/sessions"
success = [200]

[endpoints.refresh]
method = "POST"
path = "/v1/sessions/refresh"
success = [200]

[endpoints.logout]
method = "DELETE"
path = "/v1/sessions/current"
success = [204]

[endpoints.me]
method = "GET"
path = "/v1/me"
success = [200]

[endpoints.change_password]
method = "POST"
path = "/v1/me/password"
success = [204]

[tokens]
access = "access_token"
refresh = "refresh_token"

[claims]
lockout = { threshold = 5, window_seconds = 900 }

[counters]
rehashes = 'authsvc_hash_upgrades_total{outcome="upgraded"}'

[timing]
server_metric = "app"

[hooks]
seed_accounts = ["authsvc", "import-users", "{file}"]

[launch]
command = ["authsvc", "serve", "--host", "127.0.0.1", "--port", "{port}"]
migrate = ["authsvc", "migrate"]
ready_path = "/readyz"
env = { AUTHSVC_DATABASE_URL = "{database_url}", AUTHSVC_SERVER_TIMING = "true" }
"""

#: The policy the tests add: small, cheap, and the same signing key for both versions.
POLICY = """
[tool.quality_gates.replay]
profile = "replay-profile.toml"
baseline = "origin/main"
accounts = {accounts}
legacy_costs = "low"

[tool.quality_gates.replay.env]
AUTHSVC_SIGNING_KEYS = '[{{"kid": "replay", "secret": "{{secret}}"}}]'
AUTHSVC_CLIENT_RATE_LIMIT = "0"
AUTHSVC_ARGON2_MEMORY_COST = "1024"
AUTHSVC_ARGON2_TIME_COST = "1"
AUTHSVC_HASH_WORKERS = "2"
"""


def _git(path: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Replay Test",
        "GIT_AUTHOR_EMAIL": "replay@example.com",
        "GIT_COMMITTER_NAME": "Replay Test",
        "GIT_COMMITTER_EMAIL": "replay@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(  # noqa: S603 - test helper, fixed executable
        ["git", "-C", str(path), *args],  # noqa: S607 - git from PATH
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return done.stdout


def _without_replay_policy(text: str) -> str:
    """The repository's own pyproject minus its replay tables, which POLICY replaces."""
    kept, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("["):
            skipping = line.startswith(
                ("[tool.quality_gates.replay]", "[tool.quality_gates.replay.")
            )
        if not skipping:
            kept.append(line)
    return "".join(kept)


@dataclass
class Outcome:
    """One gate run: exit code and the replay's JSON result."""

    code: int
    result: dict[str, Any]

    @property
    def summary(self) -> str:
        """The gate's one-line detail."""
        return str(self.result.get("summary") or self.result.get("reason") or "")


class Clone:
    """A clone of this repository with the replay policy, on branch ``candidate``."""

    def __init__(self, path: Path, accounts: int = 60) -> None:
        self.path = path
        _git(path.parent, "clone", "--quiet", str(REPO_ROOT), path.name)
        _git(path, "checkout", "--quiet", "-b", "candidate")
        (path / "replay-profile.toml").write_text(PROFILE, encoding="utf-8")
        pyproject = path / "pyproject.toml"
        text = _without_replay_policy(pyproject.read_text(encoding="utf-8"))
        pyproject.write_text(text + POLICY.format(accounts=accounts), encoding="utf-8")

    def baseline_here(self) -> None:
        """Make the clone's ``origin/main`` its ``HEAD``: only later commits are the change."""
        _git(self.path, "update-ref", "refs/remotes/origin/main", "HEAD")

    def patch(self, relative: str, old: str, new: str, message: str) -> None:
        """Replace ``old`` (which must occur exactly once) in a tracked file, and commit it."""
        target = self.path / relative
        text = target.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{relative}: patch anchor found {text.count(old)} times"
        target.write_text(text.replace(old, new), encoding="utf-8")
        _git(self.path, "commit", "--quiet", "-m", message, "--", relative)

    def commit(self, relative: str, message: str) -> None:
        """Commit the working-tree state of one tracked file."""
        _git(self.path, "commit", "--quiet", "-m", message, "--", relative)

    def add_and_commit(self, relative: str, message: str) -> None:
        """Commit a new file."""
        _git(self.path, "add", "--", relative)
        self.commit(relative, message)

    def replay(self, cache: Path, *args: str) -> Outcome:
        """Run ``quality-gates replay`` on the clone; the JSON report is read back."""
        return self._gates("replay", cache, *args)

    def run(self, cache: Path, *args: str) -> Outcome:
        """Run ``quality-gates run`` (the policy's gates, as ``nox -s gate`` ends): the
        replay's result is read back, the exit code is the whole run's."""
        return self._gates("run", cache, *args)

    def _gates(self, command: str, cache: Path, *args: str) -> Outcome:
        report = self.path.parent / "replay.json"
        code = main(
            [
                "--repo",
                str(self.path),
                "--quiet",
                "--report",
                f"json={report}",
                command,
                "--replay-cache",
                str(cache),
                *args,
            ]
        )
        document = json.loads(report.read_text(encoding="utf-8"))
        (replay,) = (gate for gate in document["gates"] if gate["gate"] == "replay")
        return Outcome(code, replay)
