"""One replay, end to end: seed the baseline, deploy the candidate, replay, roll back.

1. The baseline's worktree and both environments (``worktree``).
2. Seed: the baseline migrates an empty database, imports the legacy accounts through the seed
   hook, then runs and registers, locks and logs in accounts through its own API.
3. Copy the seeded database for each version; the candidate runs its own migration first
   (the deploy); both start as real processes on 127.0.0.1.
4. Every account plays its requests on both versions at once (``play``), at most
   ``concurrency`` accounts in flight; pairs are counted as they complete (``tally``).
5. Rollback: the baseline starts again on the candidate's database, and every account that
   logged in on the candidate logs in once more.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from quality_gates.policy_deploy import DEFAULT_TIMEZONE
from quality_gates.profile import TargetProfile
from quality_gates.replay import seed
from quality_gates.replay.client import Api, Result, make_client
from quality_gates.replay.databases import DatabaseKind
from quality_gates.replay.launch import LaunchError, Server
from quality_gates.replay.legacy import CostProfile
from quality_gates.replay.play import OldTokens, play
from quality_gates.replay.population import Account, Population
from quality_gates.replay.progress import Progress
from quality_gates.replay.races import DEFAULT_SHARE, FIRST_LOGINS, play_races, raced
from quality_gates.replay.segments import SEGMENTS
from quality_gates.replay.session import Run, terminate_as_interrupt
from quality_gates.replay.skew import CROSS_KIND, cross_check
from quality_gates.replay.tally import Tally
from quality_gates.replay.verdict import Mode
from quality_gates.replay.worktree import VersionEnv, baseline_worktree, build_env

REQUEST_TIMEOUT = 60.0


@dataclass(frozen=True)
class ReplayConfig:
    """Everything one replay needs, already validated."""

    profile: TargetProfile
    repo: Path
    baseline_commit: str
    population: Population
    costs: CostProfile = "historical"
    database: DatabaseKind = "sqlite"
    postgres_dsn: str = ""
    env: Mapping[str, str] = field(default_factory=dict)
    timezone: str = DEFAULT_TIMEZONE
    concurrency: int = 4
    timeout: float = 1800.0
    cache_dir: Path = field(default_factory=Path.cwd)
    mode: Mode = "ab"
    python: str = sys.executable
    race_share: float = DEFAULT_SHARE
    candidate_env: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ReplayOutcome:
    """What the replay saw; ``deploy_error`` and ``rollback_error`` are fatal to the candidate."""

    tally: Tally = field(default_factory=Tally)
    accounts: int = 0
    seconds: float = 0.0
    deploy_error: str = ""
    rollback_error: str = ""


def _ordered(population: Population) -> Iterator[Account]:
    """Live sessions first (their tokens age), then everyone else."""
    yield from (a for a in population if a.segment.live_session)
    yield from (a for a in population if not a.segment.live_session)


def _seed(run: Run, baseline: VersionEnv) -> dict[int, OldTokens]:
    config, profile = run.config, run.config.profile
    launch = profile.launch
    assert launch is not None  # noqa: S101 - checked by the gate
    run.dbs.create("seed")
    if launch.migrate:
        run.command("baseline migrate", baseline, launch.migrate, "seed")
    population = config.population
    if any(SEGMENTS[name].source == "import" for name in population.counts):
        jsonl = run.workdir / "import.jsonl"
        run.progress.phase("hashing legacy accounts")
        seed.import_file(population, config.costs, jsonl, config.cache_dir)
        run.progress.phase("importing")
        run.command("seed hook", baseline, profile.hooks.seed_accounts, "seed", file=jsonl)
    server = run.start("baseline-seed", baseline, "seed")
    threshold = profile.claims.lockout.threshold if profile.claims.lockout else 5
    run.progress.phase("seeding through the baseline's API")

    async def go() -> dict[int, OldTokens]:
        async with make_client(server.base_url, config.concurrency, REQUEST_TIMEOUT) as client:
            return await seed.through_api(
                Api(profile, client),
                population,
                lockout_threshold=threshold,
                limit=config.concurrency,
                tick=run.progress.tick,
            )

    tokens = run.arun(go())
    run.stop(server)
    assert isinstance(tokens, dict)  # noqa: S101 - narrowing for mypy
    return tokens


def _replay(
    run: Run,
    servers: tuple[Server, Server, Server | None],
    tokens: dict[int, OldTokens],
    tally: Tally,
) -> bytearray:
    base, cand, peer = servers
    config, profile = run.config, run.config.profile
    logged_in = bytearray(len(config.population))
    run.progress.phase("replaying on both versions")
    run.progress.start(len(config.population))

    # Room for every request of a race at once, so none waits for a pooled connection.
    connections = config.concurrency * FIRST_LOGINS

    async def go() -> None:
        async with (
            make_client(base.base_url, connections, REQUEST_TIMEOUT) as bc,
            make_client(cand.base_url, connections, REQUEST_TIMEOUT) as cc,
            make_client((peer or base).base_url, config.concurrency, REQUEST_TIMEOUT) as pc,
        ):
            base_api, cand_api, peer_api = Api(profile, bc), Api(profile, cc), Api(profile, pc)

            async def side(api: Api, account: Account) -> dict[str, Result]:
                results = {}
                if raced(account, config.race_share):  # before the login that upgrades
                    results = await play_races(api, account)
                return results | await play(api, account, tokens.get(account.index))

            async def one(account: Account) -> None:
                pair = await asyncio.gather(side(base_api, account), side(cand_api, account))
                if peer is not None and raced(account, config.race_share):
                    cross = await cross_check(base_api, cand_api, peer_api, account)
                    if cross is not None:
                        pair[0][CROSS_KIND], pair[1][CROSS_KIND] = cross
                logged_in[account.index] = tally.add_account(account, *pair)
                run.progress.tick()

            await seed.for_each(_ordered(config.population), one, config.concurrency)

    run.arun(go())
    return logged_in


def _rollback(run: Run, server: Server, logged_in: bytearray, tally: Tally) -> None:
    config, profile = run.config, run.config.profile
    run.progress.phase("rollback: baseline on the candidate's database")
    run.progress.start(sum(logged_in))

    async def go() -> None:
        async with make_client(server.base_url, config.concurrency, REQUEST_TIMEOUT) as client:
            api = Api(profile, client)

            async def one(account: Account) -> None:
                result: Result = await api.login(account.email, account.password)
                tally.add_rollback(account, result)
                run.progress.tick()

            accounts = (a for a in config.population if logged_in[a.index])
            await seed.for_each(accounts, one, config.concurrency)

    run.arun(go())


def run_replay(config: ReplayConfig, progress: Progress) -> ReplayOutcome:
    """Run the whole replay; raises ``LaunchError``/``SeedError`` when the baseline fails."""
    with terminate_as_interrupt():
        return _run_replay(config, progress)


def _run_replay(config: ReplayConfig, progress: Progress) -> ReplayOutcome:
    started = time.monotonic()
    outcome = ReplayOutcome(accounts=len(config.population))
    workdir = Path(tempfile.mkdtemp(prefix="qg-replay-"))
    run = Run(config, workdir, progress)
    try:
        with baseline_worktree(config.repo, config.baseline_commit, config.cache_dir) as source:
            progress.phase("environments")
            with ThreadPoolExecutor(2) as pool:
                base_job = pool.submit(
                    build_env, "baseline", source, config.cache_dir, workdir, config.python
                )
                cand_job = (
                    None
                    if config.mode == "aa"
                    else pool.submit(
                        build_env,
                        "candidate",
                        config.repo,
                        config.cache_dir,
                        workdir,
                        config.python,
                    )
                )
                baseline = base_job.result()
                candidate = baseline if cand_job is None else cand_job.result()
            tokens = _seed(run, baseline)
            run.dbs.copy("seed", "base")
            run.dbs.copy("seed", "cand")
            launch = config.profile.launch
            assert launch is not None  # noqa: S101 - checked by the gate
            progress.phase("deploying the candidate")
            with ThreadPoolExecutor(1) as pool:
                base_job2 = pool.submit(run.start, "baseline", baseline, "base")
                try:
                    if launch.migrate:
                        run.command("candidate migrate", candidate, launch.migrate, "cand")
                    cand_server = run.start("candidate", candidate, "cand", config.candidate_env)
                except LaunchError as exc:
                    outcome.deploy_error = str(exc)
                    return outcome
                finally:
                    base_server = base_job2.result()  # a baseline that fails raises here
            # The baseline's code beside the candidate on its database: tokens between the two.
            peer = run.start("baseline-peer", baseline, "cand") if config.race_share else None
            servers = (base_server, cand_server, peer)
            logged_in = _replay(run, servers, tokens, outcome.tally)
            run.stop(*(server for server in servers if server is not None))
            try:
                rollback = run.start("baseline-rollback", baseline, "cand")
            except LaunchError as exc:
                outcome.rollback_error = str(exc)
                return outcome
            _rollback(run, rollback, logged_in, outcome.tally)
            run.stop(rollback)
    finally:
        run.close()
        progress.done()
        outcome.seconds = time.monotonic() - started
        with contextlib.suppress(OSError):
            shutil.rmtree(workdir)
    return outcome
