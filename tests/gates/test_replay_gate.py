"""The replay gate's edges: policy keys, bad input, worktrees, environments and launchers."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from quality_gates.errors import InputError
from quality_gates.gates import GATES
from quality_gates.gates import replay as replay_gate
from quality_gates.policy import ReplayPolicy, parse_policy
from quality_gates.profile.parse import parse_profile
from quality_gates.replay.databases import SqliteDatabases
from quality_gates.replay.legacy import COSTS
from quality_gates.replay.population import Population
from quality_gates.replay.progress import Progress
from quality_gates.replay.runner import ReplayConfig, ReplayOutcome
from quality_gates.replay.segments import SEGMENTS
from quality_gates.replay.session import Run
from quality_gates.replay.worktree import (
    VersionEnv,
    baseline_worktree,
    lock_key,
    write_launchers,
)
from tests.gates._replay import PROFILE
from tests.gates._repo import CLI, GitRepo

KNOWN = tuple(GATES)


def test_replay_and_canary_policy_keys() -> None:
    policy = parse_policy(
        {
            "replay": {
                "profile": "profiles/authsvc.toml",
                "accounts": 60,
                "segments": {"legacy-pbkdf2": 0, "current": 30},
                "env": {"AUTHSVC_CLIENT_RATE_LIMIT": "0"},
                "database": "postgresql",
            },
            "canary": {"canary_url": "http://127.0.0.1:8001/", "max_drop": 5},
        },
        KNOWN,
    )
    assert policy.replay.accounts == 60
    assert dict(policy.replay.segments) == {"legacy-pbkdf2": 0.0, "current": 30.0}
    assert policy.replay.env == (("AUTHSVC_CLIENT_RATE_LIMIT", "0"),)
    assert policy.canary.canary_url == "http://127.0.0.1:8001"
    assert policy.canary.max_drop == 5.0
    assert policy.gates == KNOWN


def test_replay_topology_key() -> None:
    """Direct unless the policy asks for nginx; anything else is refused with the choices."""
    assert parse_policy({}, KNOWN).replay.topology == "direct"
    assert parse_policy({"replay": {"topology": "nginx"}}, KNOWN).replay.topology == "nginx"
    with pytest.raises(InputError, match="topology"):
        parse_policy({"replay": {"topology": "haproxy"}}, KNOWN)


def test_the_versions_run_east_of_utc_unless_the_policy_says_otherwise() -> None:
    assert parse_policy({}, KNOWN).replay.timezone == "<+0545>-5:45"
    tokyo = parse_policy({"replay": {"timezone": "Asia/Tokyo"}}, KNOWN)
    assert tokyo.replay.timezone == "Asia/Tokyo"
    with pytest.raises(InputError) as caught:
        parse_policy({"replay": {"timezone": "UTC; rm -rf /"}}, KNOWN)
    assert caught.value.problems == (
        'tool.quality_gates.replay.timezone: expected a TZ value such as "UTC0", '
        '"<+0545>-5:45" or "Asia/Tokyo", got "UTC; rm -rf /"',
    )
    for bad in ("", "UTC0\n", "x" * 65, 9):
        with pytest.raises(InputError):
            parse_policy({"replay": {"timezone": bad}}, KNOWN)


@pytest.mark.parametrize(
    ("env", "expected"),
    [({}, "<+0545>-5:45"), ({"TZ": "UTC0"}, "UTC0")],
)
def test_both_versions_get_the_time_zone(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    """``TZ`` goes into every version's environment; the policy's ``env`` has the last word."""
    config = ReplayConfig(
        profile=parse_profile(tomllib.loads(PROFILE)),
        repo=tmp_path,
        baseline_commit="0" * 40,
        population=Population(10, 0),
        env=env,
        cache_dir=tmp_path,
    )
    run = Run(config, tmp_path, Progress(None))
    for label in ("baseline", "candidate"):
        version = VersionEnv(label, tmp_path / label, tmp_path / "venv", tmp_path / "bin")
        assert run.environ(version)["TZ"] == expected


def test_every_bad_replay_key_is_listed() -> None:
    with pytest.raises(InputError) as caught:
        parse_policy(
            {
                "replay": {
                    "accounts": 0,
                    "segments": {"legacy-pbkdf": 10},
                    "database": "mysql",
                    "mode": "ba",
                    "acounts": 5,
                },
                "canary": {"metric": "login attempts", "alpha": 1.5, "baseline_url": "ftp://x"},
            },
            KNOWN,
        )
    assert caught.value.problems == (
        "tool.quality_gates.replay.accounts: expected an integer 1-1000000, got 0",
        'tool.quality_gates.replay.database: expected one of "sqlite", "postgresql", got "mysql"',
        'tool.quality_gates.replay.mode: expected one of "ab", "aa", got "ba"',
        'tool.quality_gates.replay.acounts: unknown key (did you mean "accounts"?)',
        'tool.quality_gates.canary.metric: expected a Prometheus metric name, got "login attempts"',
        "tool.quality_gates.canary.alpha: expected a number between 0 and 1, got 1.5",
        'tool.quality_gates.canary.baseline_url: expected an http:// or https:// URL, got "ftp://x"',
    )


def test_segment_names_are_checked_against_the_engine(cli: CLI, repo: GitRepo) -> None:
    """The policy only checks a share's shape; the names are the replay engine's, so the replay
    gate checks them, reported like the policy's own problems: exit 2, with the key path."""
    unknown = parse_policy({"replay": {"segments": {"legacy-pbkdf": 10}}}, KNOWN)
    assert replay_gate.policy_problems(unknown) == [
        "tool.quality_gates.replay.segments: legacy-pbkdf: unknown segment "
        '(did you mean "legacy-pbkdf2"?)'
    ]
    nothing = parse_policy({"replay": {"segments": dict.fromkeys(SEGMENTS, 0)}}, KNOWN)
    assert replay_gate.policy_problems(nothing) == [
        "tool.quality_gates.replay.segments: at least one segment with a share > 0"
    ]
    # A misspelt cost_budget kind is reported beside the empty population, not instead of it.
    both = {"segments": dict.fromkeys(SEGMENTS, 0), "cost_budget": {"loggin": 40}}
    empty, misspelt = replay_gate.policy_problems(parse_policy({"replay": both}, KNOWN))
    assert empty == "tool.quality_gates.replay.segments: at least one segment with a share > 0"
    assert misspelt.startswith("tool.quality_gates.replay.cost_budget: loggin: unknown")
    assert replay_gate.policy_problems(parse_policy({}, KNOWN)) == []
    repo.write("pyproject.toml", "[tool.quality_gates.replay.segments]\nlegacy-pbkdf = 1\n")
    repo.commit("policy")
    run = cli("coverage")  # any command: a bad policy is bad input whichever gate runs
    assert run.code == 2
    assert "replay.segments: legacy-pbkdf: unknown segment" in run.err


def test_default_run_leaves_the_deploy_gates_out(cli: CLI, repo: GitRepo) -> None:
    repo.write("README.md", "hello\n")
    repo.commit("base")
    run = cli("run", "--skip", "coverage")
    assert "replay" not in run.out
    assert "canary" not in run.out


def test_without_a_profile_the_gate_is_skipped(cli: CLI, repo: GitRepo) -> None:
    repo.write("pyproject.toml", '[tool.quality_gates]\ngates = ["replay"]\n')
    repo.commit("base")
    run = cli("run")
    assert run.code == 0
    assert (
        "* replay: skipped (no replay profile: set [tool.quality_gates.replay] profile" in run.out
    )


def test_a_profile_without_launch_is_bad_input(cli: CLI, repo: GitRepo) -> None:
    repo.write("profile.toml", PROFILE.split("[launch]")[0])
    repo.commit("base")
    run = cli("replay", "--replay-profile", "profile.toml")
    assert run.code == 2
    assert "profile.toml: the replay needs a [launch] section" in run.err
    missing = cli("replay", "--replay-profile", "nope.toml")
    assert missing.code == 2
    assert "no such profile file" in missing.err


def test_a_baseline_without_a_lock_is_bad_input(cli: CLI, repo: GitRepo, tmp_path: Path) -> None:
    repo.write("profile.toml", PROFILE)
    repo.commit("base")
    run = cli(
        "replay",
        "--replay-profile",
        "profile.toml",
        "--replay-baseline",
        "HEAD",
        "--replay-cache",
        str(tmp_path / "c"),
    )
    assert run.code == 2
    assert "baseline: no uv.lock in" in run.err
    worktrees = repo.git("worktree", "list").strip().splitlines()
    assert len(worktrees) == 1  # the baseline's worktree was removed again


def test_option_values_are_checked(cli: CLI, repo: GitRepo) -> None:
    assert cli("replay", "--replay-accounts", "0").code == 2
    assert cli("replay", "--replay-database", "oracle").code == 2


def test_worktree_is_removed_after_use(repo: GitRepo, tmp_path: Path) -> None:
    repo.write("a.txt", "one\n")
    first = repo.commit("one")
    repo.write("a.txt", "two\n")
    repo.commit("two")
    with baseline_worktree(repo.path, first, tmp_path / "cache") as path:
        assert (path / "a.txt").read_text() == "one\n"
        assert len(repo.git("worktree", "list").splitlines()) == 2
    assert not path.exists()
    assert len(repo.git("worktree", "list").splitlines()) == 1


def test_lock_key_follows_the_lock(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text("version = 1\n")
    before = lock_key(lock, "/usr/bin/python3")
    assert lock_key(lock, "/usr/bin/python3") == before
    assert lock_key(lock, "/opt/python3.12") != before
    lock.write_text("version = 1\n# a dependency bump\n")
    assert lock_key(lock, "/usr/bin/python3") != before


def test_launchers_run_the_entry_points(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project.scripts]\nhello = "greet.cli:main"\nbad-entry = "x y"\n')
    (tmp_path / "greet").mkdir()
    (tmp_path / "greet" / "__init__.py").write_text("")
    (tmp_path / "greet" / "cli.py").write_text("def main():\n    print('hi')\n    return 3\n")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    names = write_launchers(pyproject, venv, tmp_path / "bin")
    assert names == ["hello"]
    done = subprocess.run(  # noqa: S603 - the launcher just written
        [str(tmp_path / "bin" / "hello")],
        env={"PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (3, "hi\n")


def test_sqlite_copies_carry_the_write_ahead_log(tmp_path: Path) -> None:
    dbs = SqliteDatabases(tmp_path)
    dbs.path("seed").write_bytes(b"main")
    Path(f"{dbs.path('seed')}-wal").write_bytes(b"wal")
    Path(f"{dbs.path('copy')}-shm").write_bytes(b"stale")
    dbs.copy("seed", "copy")
    assert dbs.path("copy").read_bytes() == b"main"
    assert Path(f"{dbs.path('copy')}-wal").read_bytes() == b"wal"
    assert not Path(f"{dbs.path('copy')}-shm").exists()
    assert dbs.url("copy") == f"sqlite:///{dbs.path('copy')}"


@pytest.mark.parametrize(
    ("outcome", "summary", "rule"),
    [
        (
            ReplayOutcome(deploy_error="candidate migrate exited with code 1\nTraceback ..."),
            "the candidate does not deploy on the baseline's data: candidate migrate exited",
            "deploy",
        ),
        (
            ReplayOutcome(
                accounts=10,
                rollback_error="baseline-rollback exited with code 1 while starting:\n...",
            ),
            "after a rollback, the baseline does not start on the candidate's data: "
            "baseline-rollback exited",
            "rollback",
        ),
    ],
)
def test_a_version_that_does_not_start_fails_the_gate(
    outcome: ReplayOutcome, summary: str, rule: str
) -> None:
    """Whatever the paired requests said, a candidate that cannot be deployed, or a
    baseline that cannot be rolled back to, fails, with the first line of why."""
    result = replay_gate._result(outcome, ReplayPolicy(), [])
    assert result.status == "fail"
    assert result.summary.startswith(summary), result.summary
    assert result.findings[0].rule_id == rule
    assert result.findings[0].severity == "error"


@pytest.mark.parametrize(
    ("policy", "changed", "runs"),
    [
        ('critical_paths = ["svc/**"]', "README.md", False),
        ('critical_paths = ["svc/**"]', "svc/login.py", True),
        (
            'critical_paths = ["svc/**"]\n[tool.quality_gates.replay]\npaths = ["uv.lock"]',
            "uv.lock",
            True,
        ),
        (
            'critical_paths = ["svc/**"]\n[tool.quality_gates.replay]\npaths = ["uv.lock"]',
            "svc/login.py",
            False,
        ),
        ("", "README.md", True),
    ],
)
def test_the_replay_runs_only_for_a_critical_change(
    cli: CLI, repo: GitRepo, tmp_path: Path, policy: str, changed: str, *, runs: bool
) -> None:
    """No change in the replay's paths (else the critical paths): skipped before any worktree
    or environment is made. A run without a lock in the baseline shows that it went ahead."""
    repo.write("pyproject.toml", f'[tool.quality_gates]\nbaseline = "main"\n{policy}\n')
    repo.write("profile.toml", PROFILE)
    repo.commit("base")
    repo.git("branch", "-M", "main")
    repo.git("checkout", "-q", "-b", "change")
    repo.write(changed, "changed\n")
    repo.git("add", changed)
    repo.commit("change")
    args = ["replay", "--replay-profile", "profile.toml", "--replay-cache", str(tmp_path / "c")]
    run = cli(*args)
    if runs:
        assert run.code == 2, run.out
        assert "baseline: no uv.lock in" in run.err
    else:
        assert run.code == 0, run.err
        assert "replay: skipped (no critical change since merge base " in run.out
        assert not (tmp_path / "c").exists()
    assert cli(*args, "--replay-mode", "aa").code == 2  # A/A has nothing to compare: it always runs


def test_the_pre_merge_population_keeps_every_legacy_cost_class(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """This repository's pre-merge replay is smaller than the default: every segment must still
    try both e-mail spellings, and every historical cost a legacy system used must be among
    the hashes its segment imports (a verifier that caps PBKDF2 iterations would go unseen)."""
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text("utf-8"))
    policy = parse_policy(pyproject["tool"]["quality_gates"], KNOWN)
    assert "replay" in policy.gates
    assert policy.replay.legacy_costs == "historical"
    population = Population(policy.replay.accounts, policy.replay.seed)
    sampled = {name for name, segment in SEGMENTS.items() if segment.sample}
    for name, count in population.counts.items():
        # A sampled segment holds one account per costly setting: still both e-mail spellings.
        assert count >= (2 if name in sampled else 4), (name, count)
    costs = COSTS["historical"]
    # The iteration count is written in the hash: the digest itself need not be computed.
    monkeypatch.setattr(hashlib, "pbkdf2_hmac", lambda *_args: bytes(32))
    schemes = ("pbkdf2", "argon2-old")
    hashes = [a.stored_hash("historical") for a in population if a.segment.scheme in schemes]
    for iterations in costs.pbkdf2_iterations:
        assert any(h.startswith(f"pbkdf2_sha256${iterations}$") for h in hashes), iterations
    for params in costs.argon2:
        setting = f"m={params.memory_cost},t={params.time_cost},p={params.parallelism}$"
        assert any(setting in h for h in hashes), setting


def test_the_noisy_neighbour_fails_the_gate_and_explains_the_429s() -> None:
    """A candidate that stopped limiting the neighbour fails, whatever the tally says."""
    lost = "the candidate no longer limits a client that keeps failing logins behind the proxy"
    outcome = ReplayOutcome(accounts=0, neighbour_problems=[lost], limited_logins=3)
    result = replay_gate._result(outcome, ReplayPolicy(), [])
    assert result.status == "fail"
    assert result.summary == lost
    neighbour = [f.message for f in result.findings if f.rule_id == "neighbour"]
    assert neighbour[0] == lost
    assert neighbour[1].startswith("3 accounts' correct logins were refused with 429")
    quiet = replay_gate._result(ReplayOutcome(accounts=0), ReplayPolicy(), [])
    assert not [f for f in quiet.findings if f.rule_id == "neighbour"]
