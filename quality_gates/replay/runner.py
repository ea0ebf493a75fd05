"""One replay, end to end: seed the baseline, deploy the candidate, replay, roll back.

1. The baseline's worktree and both environments (``worktree``).
2. Seed: the baseline migrates an empty database, imports the legacy accounts through the seed
   hook, then runs and registers, locks and logs in accounts through its own API.
3. Copy the seeded database for each version; the candidate runs its own migration first
   (the deploy); both start as real processes on 127.0.0.1 (with ``topology = "nginx"``, each
   behind an nginx of its own, and the accounts spread over several client addresses).
4. Behind the proxy, the noisy neighbour hammers both versions (``neighbour``). Every account
   plays its requests on both versions in lock-step (``pairing``), at most ``concurrency``
   accounts in flight; pairs are counted as they complete (``tally``).
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
from collections.abc import AsyncIterator, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from quality_gates.policy.replay import DEFAULT_TIMEZONE
from quality_gates.profile import TargetProfile
from quality_gates.replay import neighbour, seed, skew
from quality_gates.replay.client import Api, Result, make_client
from quality_gates.replay.counters import FirstLogins, Rehashes, count_rehashes
from quality_gates.replay.databases import DatabaseKind
from quality_gates.replay.launch import LaunchError, Server
from quality_gates.replay.legacy import CostProfile
from quality_gates.replay.pairing import play_pair
from quality_gates.replay.play import LOGIN_KINDS, OldTokens
from quality_gates.replay.population import Account, Population
from quality_gates.replay.probe import probe
from quality_gates.replay.progress import Progress
from quality_gates.replay.races import DEFAULT_SHARE, FIRST_LOGINS, play_races, raced
from quality_gates.replay.segments import SEGMENTS
from quality_gates.replay.session import Run, terminate_as_interrupt
from quality_gates.replay.skew import CROSS_KIND, cross_check
from quality_gates.replay.tally import Tally
from quality_gates.replay.timing import CostSamples, Oracle
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
    topology: str = "direct"
    timing_samples: int = 40
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
    #: Behind the proxy: what the noisy neighbour found worse, and the correct logins the
    #: candidate refused with 429 where the baseline let them in.
    neighbour_problems: list[str] = field(default_factory=list)
    limited_logins: int = 0
    costs: CostSamples = field(default_factory=CostSamples)
    first_logins: FirstLogins = field(default_factory=FirstLogins)
    oracle: Oracle | None = None
    rehashes: Rehashes | None = None


def _ordered(population: Population) -> Iterator[Account]:
    """Live sessions first (their tokens age), then everyone else."""
    yield from (a for a in population if a.segment.live_session)
    yield from (a for a in population if not a.segment.live_session)


@contextlib.asynccontextmanager
async def _apis(run: Run, server: Server, connections: int = 0) -> AsyncIterator[list[Api]]:
    """One API client per client address of the run, all to ``server`` (or its proxy).

    ``connections``: each client's pool size (default: the run's concurrency).
    """
    config = run.config
    size = connections or config.concurrency
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                make_client(run.url(server), size, REQUEST_TIMEOUT, local_address=a)
            )
            for a in run.clients
        ]
        yield [Api(config.profile, client) for client in clients]


def _limited_login(base: dict[str, Result], cand: dict[str, Result]) -> bool:
    """A correct login the candidate refused with 429 and the baseline let in."""
    return any(
        kind in cand and cand[kind].outcome == "rate_limited" and base[kind].outcome == "success"
        for kind in LOGIN_KINDS
        if kind in base
    )


async def _neighbour(run: Run, base: Server, cand: Server, outcome: ReplayOutcome) -> None:
    assert run.neighbour is not None  # noqa: S101 - only behind the proxy
    config = run.config
    forged = run.clients[0] or ""
    async with (
        make_client(run.url(base), 4, REQUEST_TIMEOUT, local_address=run.neighbour) as bc,
        make_client(run.url(cand), 4, REQUEST_TIMEOUT, local_address=run.neighbour) as cc,
        make_client(run.url(base), 1, REQUEST_TIMEOUT, local_address=run.clients[0]) as bb,
        make_client(run.url(cand), 1, REQUEST_TIMEOUT, local_address=run.clients[0]) as cb,
    ):
        profile = config.profile
        pair = await asyncio.gather(
            neighbour.hammer(Api(profile, bc), forged, config.concurrency, Api(profile, bb)),
            neighbour.hammer(Api(profile, cc), forged, config.concurrency, Api(profile, cb)),
        )
    outcome.neighbour_problems = neighbour.judge(*pair)


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
        async with _apis(run, server) as apis:
            return await seed.through_api(
                apis,
                population,
                lockout_threshold=threshold,
                limit=config.concurrency,
                tick=run.progress.tick,
            )

    try:
        tokens = run.arun(go())
    except seed.SeedError as exc:
        # The baseline's own log says why it answered as it did (a 500's traceback).
        raise seed.SeedError(f"{exc}; the baseline's log ends:\n{server.log_tail()}") from None
    run.stop(server)
    assert isinstance(tokens, dict)  # noqa: S101 - narrowing for mypy
    return tokens


def _replay(
    run: Run,
    servers: tuple[Server, Server, Server | None],
    tokens: dict[int, OldTokens],
    outcome: ReplayOutcome,
) -> bytearray:
    base, cand, peer = servers
    config, tally = run.config, outcome.tally
    logged_in = bytearray(len(config.population))
    if run.neighbour is not None:
        run.progress.phase("a noisy neighbour behind the proxy")
        run.arun(_neighbour(run, base, cand, outcome))
    run.progress.phase("replaying on both versions")
    run.progress.start(len(config.population))

    # Room for every request of a race at once, so none waits for a pooled connection.
    connections = config.concurrency * FIRST_LOGINS

    async def go() -> None:
        async with (
            _apis(run, base, connections) as base_apis,
            _apis(run, cand, connections) as cand_apis,
            _apis(run, peer or base, config.concurrency) as peer_apis,
        ):

            async def one(account: Account) -> None:
                client = account.index % len(base_apis)  # the account's own address
                base_api, cand_api = base_apis[client], cand_apis[client]
                base_races: dict[str, Result] = {}
                cand_races: dict[str, Result] = {}
                racing = raced(account, config.race_share)
                if racing:  # before the login that upgrades
                    # Not in lock-step: a race sends several requests at once on each side,
                    # and its results are untimed, so the cost rule never pairs them.
                    base_races, cand_races = await asyncio.gather(
                        play_races(base_api, account), play_races(cand_api, account)
                    )
                old = tokens.get(account.index)
                played = await play_pair(base_api, cand_api, account, old)
                pair = (base_races | played[0], cand_races | played[1])
                if peer is not None and racing:
                    cross = await cross_check(base_api, cand_api, peer_apis[client], account)
                    if cross is not None:
                        pair[0][CROSS_KIND], pair[1][CROSS_KIND] = cross
                logged_in[account.index] = tally.add_account(account, *pair)
                outcome.limited_logins += _limited_login(*pair)
                outcome.costs.add(*pair)  # the timing rules' paired samples
                outcome.first_logins.add(*pair)  # the rehash rule's bound
                run.progress.tick()

            await seed.for_each(_ordered(config.population), one, config.concurrency)

    run.arun(go())
    return logged_in


def _rollback(run: Run, server: Server, logged_in: bytearray, tally: Tally) -> None:
    config = run.config
    run.progress.phase("rollback: baseline on the candidate's database")
    run.progress.start(sum(logged_in))

    async def go() -> None:
        async with _apis(run, server) as apis:

            async def one(account: Account) -> None:
                api = apis[account.index % len(apis)]
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
                base_job2 = pool.submit(
                    run.start, "baseline", baseline, "base", skew.control_env(config.candidate_env)
                )
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
            logged_in = _replay(run, servers, tokens, outcome)
            counters = config.profile.counters
            outcome.rehashes = count_rehashes(
                counters.path, counters.rehashes, (base_server, cand_server), outcome.first_logins
            )
            if config.timing_samples:
                outcome.oracle = probe(run, base_server, cand_server, config.timing_samples)
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
