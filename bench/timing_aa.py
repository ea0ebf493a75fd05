"""A/A false-alarm rate of the replay's cost and timing rules (quality_gates/replay/timing.py).

    python bench/timing_aa.py                  # 20 seeds, the zoo's fast hashing
    python bench/timing_aa.py --seeds 40 --default-hashing

Two ``authsvc serve`` processes of this tree (the same code: an A/A pair), each on its own
SQLite database with the same registered accounts, stay up for the whole run. Each seed then
does what the replay does, on fresh samples: the oracle probe (wrong passwords against unknown
accounts, one request at a time, shuffled), then every account plays the replay's requests on
both servers at once, ``--concurrency`` accounts in flight; and judges them with the gate's own
rules. Any failure is a false alarm. Prints each rule's count and rate; docs/benchmarks.md
records them. Far cheaper than whole replays (no seeding, no environments): a seed is a few
seconds at fast hashing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quality_gates.profile import parse_profile
from quality_gates.replay.client import Api, make_client
from quality_gates.replay.launch import Server, start_server
from quality_gates.replay.play import play
from quality_gates.replay.population import Account, Population
from quality_gates.replay.probe import _rounds
from quality_gates.replay.seed import for_each
from quality_gates.replay.segments import SEGMENTS
from quality_gates.replay.timing import CostSamples, TimingRules, judge_timing
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


async def one_seed(
    servers: tuple[Server, Server], accounts: list[Account], seed: int, args: argparse.Namespace
) -> tuple[list[str], dict[str, float]]:
    """One A/A trial: the probe, then every account's requests on both; the rules' problems."""
    profile = TARGET
    base, cand = servers
    async with (
        make_client(base.base_url, args.concurrency, 60) as bc,
        make_client(cand.base_url, args.concurrency, 60) as cc,
    ):
        apis = {"baseline": Api(profile, bc), "candidate": Api(profile, cc)}
        # Each known account takes 3 wrong passwords; the plays below log it in (reset).
        known = [a for a in accounts[: -(-args.samples // 3)] for _ in range(3)][: args.samples]
        oracle = await _rounds(apis, known, seed)
        costs = CostSamples()
        order = list(accounts)
        random.Random(seed).shuffle(order)

        async def pair(account: Account) -> None:
            costs.add(
                *await asyncio.gather(
                    play(apis["baseline"], account, None), play(apis["candidate"], account, None)
                )
            )

        await for_each(order, pair, args.concurrency)
    judgement = judge_timing(costs, oracle, TimingRules())
    metrics = {k: float(v) for k, v in judgement.metrics.items() if not isinstance(v, str)}
    return judgement.problems, metrics


async def register(server: Server, accounts: list[Account]) -> None:
    async with make_client(server.base_url, 4, 60) as client:
        api = Api(TARGET, client)

        async def one(account: Account) -> None:
            result = await api.register(account.email, account.password)
            if result.outcome != "success":
                raise SystemExit(f"registration failed: {result.status}")

        await for_each(accounts, one, 4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--accounts", type=int, default=60)
    parser.add_argument("--samples", type=int, default=40, help="probe rounds (timing_samples)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--default-hashing", action="store_true", help="authsvc's own argon2id")
    args = parser.parse_args(argv)
    env = {**os.environ, "AUTHSVC_SIGNING_KEYS": KEYS, "AUTHSVC_CLIENT_RATE_LIMIT": "0"}
    # authsvc from this interpreter's environment (the worktree's .venv).
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if not args.default_hashing:
        env.update(FAST_ARGON2)
    only_current = {name: float(name == "current") for name in SEGMENTS}
    population = Population(args.accounts, 0, only_current)
    accounts = list(population)
    workdir = Path(tempfile.mkdtemp(prefix="timing-aa-"))
    servers: list[Server] = []
    try:
        servers = [start(label, workdir, env) for label in ("a1", "a2")]
        for server in servers:
            asyncio.run(register(server, accounts))
        alarms = {"cost": 0, "oracle": 0, "rehash": 0}
        worst: list[float] = []
        p_values: list[float] = []
        started = time.monotonic()
        for seed in range(args.seeds):
            problems, metrics = asyncio.run(
                one_seed((servers[0], servers[1]), accounts, seed, args)
            )
            alarms["cost"] += any(" costs " in p for p in problems)
            alarms["oracle"] += any(p.startswith("timing oracle") for p in problems)
            worst.append(metrics.get("cost_ratio_lower_bound_max", 0.0))
            p_values.append(metrics.get("oracle_p_candidate", 1.0))
            p_base, p_cand = metrics["oracle_p_baseline"], metrics["oracle_p_candidate"]
            p_seed = f"oracle p {p_base:.3g}/{p_cand:.3g}"
            print(f"seed {seed}: {'; '.join(problems) or 'pass'} ({p_seed})", flush=True)
        hashing = "authsvc defaults" if args.default_hashing else "m=1024 t=1 (the zoo's)"
        print(
            f"\n{args.seeds} A/A seeds, {args.accounts} accounts, {args.samples} probe rounds, "
            f"concurrency {args.concurrency}, argon2id {hashing}, "
            f"{time.monotonic() - started:.0f} s, load average {os.getloadavg()[0]:.1f}"
        )
        for rule in ("cost", "oracle"):
            print(f"  {rule}: {alarms[rule]}/{args.seeds} false alarms")
        print(f"  cost: largest lower bound of any kind's ratio per seed: max {max(worst):.2f}")
        below = sum(p < 0.01 for p in p_values)
        print(f"  oracle: candidate Mann-Whitney p < 0.01 in {below}/{args.seeds} seeds")
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
