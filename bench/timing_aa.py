"""A/A false-alarm rate of the replay's cost and timing rules (quality_gates/replay/timing.py).

    python bench/timing_aa.py                  # 20 seeds, the zoo's fast hashing
    python bench/timing_aa.py --seeds 300 --default-hashing
    python bench/timing_aa.py --seeds 10 --default-hashing --pairing loose   # the old sampling

Two ``authsvc serve`` processes of this tree (the same code: an A/A pair), each on its own
SQLite database with the same registered accounts, stay up for the whole run. Each seed then
does what the replay does, on fresh samples: the oracle probe (wrong passwords against unknown
accounts, one request at a time, shuffled), then every account plays the replay's requests on
both servers, ``--concurrency`` accounts in flight, in lock-step as the replay does
(``pairing.play_pair``; ``--pairing loose`` starts both plays together and lets them drift,
as the replay did before); and judges them with the gate's own rules. Any failure is a false
alarm. The servers send ``Server-Timing`` (``AUTHSVC_SERVER_TIMING``, as the profile asks), and
each seed's samples are judged twice: by the servers' own figures and by the client's round
trips, so both measures are compared on the same requests. Prints, per seed and measure, the
kind with the highest cost bound, then per measure and rule the count, rate and a one-sided 95%
Clopper-Pearson upper bound on the rate; docs/benchmarks.md records them. Far cheaper than whole
replays (no seeding, no environments).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quality_gates.profile import parse_profile
from quality_gates.replay.client import Api, Result, make_client
from quality_gates.replay.launch import Server, start_server
from quality_gates.replay.pairing import Played, play_pair
from quality_gates.replay.play import OldTokens, play
from quality_gates.replay.population import Account, Population
from quality_gates.replay.probe import probe_answers
from quality_gates.replay.seed import for_each
from quality_gates.replay.segments import SEGMENTS
from quality_gates.replay.timing import (
    ROUND_TRIP,
    SERVER,
    CostRatio,
    CostSamples,
    TimingRules,
    cost_ratio,
    judge_timing,
    log_binomial_cdf,
    oracle_samples,
)
from tests.gates._replay import PROFILE

KEYS = '[{"kid": "bench", "secret": "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"}]'
FAST_ARGON2 = {"AUTHSVC_ARGON2_MEMORY_COST": "1024", "AUTHSVC_ARGON2_TIME_COST": "1"}
ROOT = Path(__file__).resolve().parents[1]
TARGET = parse_profile(tomllib.loads(PROFILE))


def start(label: str, workdir: Path, env: dict[str, str]) -> Server:
    """Migrate a fresh SQLite database and start one authsvc on it."""
    launch = TARGET.launch
    assert launch is not None  # noqa: S101 - the profile has one
    url = f"sqlite:///{workdir / label}.db"
    subprocess.run(  # noqa: S603 - this tree's own command
        [str(Path(sys.executable).parent / "authsvc"), "migrate"],
        env={**env, "AUTHSVC_DATABASE_URL": url},
        check=True,
        capture_output=True,
    )
    return start_server(label, launch, env, database_url=url, workdir=workdir, cwd=ROOT)


async def _loose(
    base: Api, cand: Api, account: Account, old: OldTokens | None
) -> tuple[Played, Played]:
    """Both plays started together, then each at its own pace (the replay before lock-step)."""
    base_played, cand_played = await asyncio.gather(
        play(base, account, old), play(cand, account, old)
    )
    return base_played, cand_played


#: What judged a seed, ``(problems, metrics, the kind with the highest cost bound)``.
Judged = tuple[list[str], dict[str, float], CostRatio | None]
MEASURES = (SERVER, ROUND_TRIP)


def _untimed(result: Result) -> Result:
    return dataclasses.replace(result, server_seconds=None)


def _untimed_by_server(results: Played) -> Played:
    return {kind: _untimed(r) for kind, r in results.items()}


def judge(
    measure: str,
    played: list[tuple[Played, Played]],
    answers: dict[str, dict[str, list[Result]]] | None,
) -> Judged:
    """The gate's timing rules on one seed's samples, timed by ``measure``."""
    strip = measure == ROUND_TRIP
    costs = CostSamples()
    for base, cand in played:
        costs.add(
            *((_untimed_by_server(base), _untimed_by_server(cand)) if strip else (base, cand))
        )
    oracle = None
    if answers is not None:
        if strip:
            answers = {
                v: {path: [_untimed(r) for r in rs] for path, rs in p.items()}
                for v, p in answers.items()
            }
        oracle = oracle_samples(answers)
        if oracle.measure != measure:
            raise SystemExit(f"timing_aa: the probe was timed by {oracle.measure}, not {measure}")
    if any(costs.timed_by(kind) != measure for kind in costs.pairs):
        raise SystemExit(f"timing_aa: some pairs were not timed by {measure}")
    judgement = judge_timing(costs, oracle, TimingRules())
    metrics = {k: float(v) for k, v in judgement.metrics.items() if not isinstance(v, str)}
    ratios = [r for kind, pairs in costs.pairs.items() if (r := cost_ratio(kind, pairs))]
    worst = max(ratios, key=lambda r: r.lower_bound, default=None)
    return judgement.problems, metrics, worst


async def one_seed(
    servers: tuple[Server, Server], accounts: list[Account], seed: int, args: argparse.Namespace
) -> dict[str, Judged]:
    """One A/A trial: the probe, then every account's requests on both; judged per measure."""
    profile = TARGET
    base, cand = servers
    played: list[tuple[Played, Played]] = []
    async with (
        make_client(base.base_url, args.concurrency, 60) as bc,
        make_client(cand.base_url, args.concurrency, 60) as cc,
    ):
        apis = {"baseline": Api(profile, bc), "candidate": Api(profile, cc)}
        answers = None
        if args.samples:
            # Each known account takes 3 wrong passwords; the plays below log it in (reset).
            known = [a for a in accounts[: -(-args.samples // 3)] for _ in range(3)]
            answers = await probe_answers(apis, known[: args.samples], seed)
        order = list(accounts)
        random.Random(seed).shuffle(order)
        both = _loose if args.pairing == "loose" else play_pair

        async def pair(account: Account) -> None:
            played.append(await both(apis["baseline"], apis["candidate"], account, None))

        await for_each(order, pair, args.concurrency)
    return {measure: judge(measure, played, answers) for measure in MEASURES}


def upper_bound(alarms: int, trials: int, confidence: float = 0.95) -> float:
    """One-sided Clopper-Pearson upper bound of a rate seen ``alarms`` times in ``trials``.

    The largest rate under which ``alarms`` or fewer would still happen with probability
    ``1 - confidence``: the binomial CDF falls as the rate grows, so bisect on it.
    """
    if alarms >= trials:
        return 1.0
    low, high = alarms / trials, 1.0
    for _ in range(60):
        mid = (low + high) / 2
        if log_binomial_cdf(alarms, trials, mid) > math.log(1 - confidence):
            low = mid
        else:
            high = mid
    return high


async def register(server: Server, accounts: list[Account]) -> None:
    async with make_client(server.base_url, 4, 60) as client:
        api = Api(TARGET, client)

        async def one(account: Account) -> None:
            result = await api.register(account.email, account.password)
            if result.outcome != "success":
                raise SystemExit(f"registration failed: {result.status}")

        await for_each(accounts, one, 4)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument(
        "--accounts", type=int, default=44, help="per seed; 44 gives each login kind 22 pairs"
    )
    parser.add_argument(
        "--samples", type=int, default=40, help="probe rounds (timing_samples); 0: no probe"
    )
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--default-hashing", action="store_true", help="authsvc's own argon2id")
    parser.add_argument("--pairing", choices=("lockstep", "loose"), default="lockstep")
    parser.add_argument(
        "--budget", type=float, default=0.0, help="seconds; no new seed after that (0: none)"
    )
    return parser


def _seeds(servers: list[Server], accounts: list[Account], args: argparse.Namespace) -> None:
    alarms = {(m, rule): 0 for m in MEASURES for rule in ("cost", "oracle")}
    worst: dict[str, list[float]] = {m: [] for m in MEASURES}
    p_values: dict[str, list[float]] = {m: [] for m in MEASURES}
    loads: list[float] = []
    started = time.monotonic()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        if args.budget and time.monotonic() - started > args.budget:
            args.seeds = seed - args.first_seed  # a shared machine's wall time ran out
            break
        judged = asyncio.run(one_seed((servers[0], servers[1]), accounts, seed, args))
        loads.append(os.getloadavg()[0])
        parts = []
        for measure, (problems, metrics, top) in judged.items():
            alarms[measure, "cost"] += any(" costs " in p for p in problems)
            alarms[measure, "oracle"] += any(p.startswith("timing oracle") for p in problems)
            worst[measure].append(top.lower_bound if top else 0.0)
            part = f"{measure}: {'; '.join(problems) or 'pass'}"
            if top is not None:
                part += (
                    f" (highest bound: {top.kind} ratio {top.median_ratio:.2f}, bound "
                    f"{top.lower_bound:.2f}, {top.pairs} pairs)"
                )
            if "oracle_p_candidate" in metrics:
                p_values[measure].append(metrics["oracle_p_candidate"])
                part += f" oracle p {metrics['oracle_p_baseline']:.3g}/{p_values[measure][-1]:.3g}"
            parts.append(part)
        print(f"seed {seed}: {' | '.join(parts)}; load {loads[-1]:.1f}", flush=True)
    hashing = "authsvc defaults" if args.default_hashing else "m=1024 t=1 (the zoo's)"
    print(
        f"\n{args.seeds} A/A seeds ({args.first_seed}-{args.first_seed + args.seeds - 1}), "
        f"{args.accounts} accounts, {args.samples} probe rounds, concurrency "
        f"{args.concurrency}, {args.pairing} pairing, argon2id {hashing}, "
        f"{time.monotonic() - started:.0f} s, load average (1 min) mean "
        f"{sum(loads) / len(loads):.1f}, max {max(loads):.1f}"
    )
    for measure in MEASURES:
        print(f" timed by {measure}:")
        for rule, trials in (("cost", args.seeds), ("oracle", len(p_values[measure]))):
            if trials:
                found = alarms[measure, rule]
                print(
                    f"  {rule}: {found}/{trials} false alarms, rate {found / trials:.2%}, "
                    f"95% upper bound {upper_bound(found, trials):.2%}"
                )
        highest = worst[measure]
        print(
            f"  cost: highest lower bound of any kind in any seed {max(highest):.2f} (limit 1.30)"
        )
        for limit in (1.0, 1.1, 1.2):
            print(
                f"  cost: seeds with a lower bound over {limit:.1f}: "
                f"{sum(w > limit for w in highest)}"
            )
        if p_values[measure]:
            below, runs = sum(p < 0.01 for p in p_values[measure]), len(p_values[measure])
            print(f"  oracle: candidate Mann-Whitney p < 0.01 in {below}/{runs} seeds")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if min(args.seeds, args.accounts, args.concurrency) < 1 or min(args.samples, args.budget) < 0:
        print("timing_aa: --samples and --budget must be >= 0, the others >= 1", file=sys.stderr)
        return 2
    env = {**os.environ, "AUTHSVC_SIGNING_KEYS": KEYS, "AUTHSVC_CLIENT_RATE_LIMIT": "0"}
    # authsvc from this interpreter's environment (the worktree's .venv).
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if not args.default_hashing:
        env.update(FAST_ARGON2)
    only_current = {name: float(name == "current") for name in SEGMENTS}
    accounts = list(Population(args.accounts, 0, only_current))
    workdir = Path(tempfile.mkdtemp(prefix="timing-aa-"))
    servers: list[Server] = []
    try:
        servers = [start(label, workdir, env) for label in ("a1", "a2")]
        for server in servers:
            asyncio.run(register(server, accounts))
        _seeds(servers, accounts, args)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    used = sum(
        getattr(resource.getrusage(who), field)
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        for field in ("ru_utime", "ru_stime")
    )
    print(f"  CPU time, bench and both servers: {used:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
