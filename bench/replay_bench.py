"""Benchmark of the differential replay: time, CPU and memory of whole replays of authsvc.

    python bench/replay_bench.py                 # 1,000 accounts, then 10,000 (memory run)
    python bench/replay_bench.py --skip-large    # only the 1,000-account run
    python bench/replay_bench.py --accounts 300 --large 0

Each run clones this repository (committed HEAD), and replays it against its ``main``: the
baseline from a git worktree, the candidate from the clone, both real ``authsvc serve``
processes from the environments their uv.lock describe (cached in ``--cache``, built once).
The 1,000-account run uses authsvc's default argon2id parameters and the legacy hashes at their
historical costs; the population's hash records are cached after the first run, like the
environments. The large run shows that memory stays flat: it uses cheap hashing (the number of
accounts, not the cost of a hash, is what could grow memory) and samples the replay process's
RSS as accounts complete. Prints figures; docs/benchmarks.md records them.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from quality_gates.profile import load_profile
from quality_gates.replay import skew
from quality_gates.replay.population import Population
from quality_gates.replay.progress import Progress
from quality_gates.replay.races import DEFAULT_SHARE
from quality_gates.replay.runner import ReplayConfig, run_replay
from quality_gates.replay.seed import import_file
from quality_gates.replay.segments import SEGMENTS
from quality_gates.replay.verdict import Rules, judge
from quality_gates.replay.worktree import default_cache_dir
from tests.gates._replay import PROFILE, _git

KEYS = '[{"kid": "bench", "secret": "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"}]'
FAST_ARGON2 = {"AUTHSVC_ARGON2_MEMORY_COST": "1024", "AUTHSVC_ARGON2_TIME_COST": "1"}


def rss_kib() -> int:
    """The current resident set of this process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@dataclass
class Recorder(Progress):
    """Progress that records when each phase began and RSS every 10% of the accounts."""

    phases: list[tuple[str, float]] = field(default_factory=list)
    rss: list[tuple[int, int]] = field(default_factory=list)
    counted: int = 0
    total_ticks: int = 0
    began: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        super().__init__(sys.stderr if sys.stderr.isatty() else None)

    def phase(self, text: str) -> None:
        self.phases.append((text, time.monotonic() - self.began))
        self.total_ticks = 0
        super().phase(text)

    def start(self, total: int) -> None:
        self.total_ticks, self.counted = total, 0
        if self.phases[-1][0].startswith("replaying"):
            self.rss.append((0, rss_kib()))
        super().start(total)

    def tick(self) -> None:
        self.counted += 1
        step = max(self.total_ticks // 10, 1)
        if self.phases[-1][0].startswith("replaying") and self.counted % step == 0:
            self.rss.append((self.counted, rss_kib()))
        super().tick()


def cpu_seconds() -> tuple[float, float]:
    """User + system CPU of this process, and of its waited-for children (the servers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def make_clone(workdir: Path) -> Path:
    """A clone of this repository with the replay profile; baseline ``origin/main``."""
    clone = workdir / "clone"
    _git(workdir, "clone", "--quiet", str(Path(__file__).resolve().parents[1]), "clone")
    (clone / "replay-profile.toml").write_text(PROFILE, encoding="utf-8")
    return clone


def run(
    clone: Path,
    cache: Path,
    accounts: int,
    *,
    cheap: bool,
    concurrency: int,
    topology: str,
    races: bool = True,
) -> None:
    """One replay, and its figures."""
    profile = load_profile(clone / "replay-profile.toml")
    env = {"AUTHSVC_SIGNING_KEYS": KEYS}
    # Direct: every account from 127.0.0.1, so the per-client limit is off. Behind nginx
    # (docs/deployed.md): the limit at its default, nginx's address trusted.
    env |= (
        {"AUTHSVC_TRUSTED_PROXIES": "127.0.0.1"}
        if topology == "nginx"
        else {"AUTHSVC_CLIENT_RATE_LIMIT": "0"}
    )
    if cheap:
        env.update(FAST_ARGON2)
    commit = _git(clone, "rev-parse", "origin/main").strip()
    config = ReplayConfig(
        profile=profile,
        repo=clone,
        baseline_commit=commit,
        population=Population(accounts, seed=0),
        costs="low" if cheap else "historical",
        env=env,
        concurrency=concurrency,
        timeout=7200,
        cache_dir=cache,
        topology=topology,
        race_share=DEFAULT_SHARE if races else 0.0,
        candidate_env=skew.candidate_env(skew.DEFAULT_SKEW)
        if races and skew.find_library()
        else {},
    )
    # The hash records are made once and cached, like the environments: time that apart.
    warm = time.monotonic()
    warm_file = Path(tempfile.mkdtemp(prefix="replay-warm-")) / "import.jsonl"
    import_file(config.population, config.costs, warm_file, cache)
    shutil.rmtree(warm_file.parent)
    print(
        f"\npopulation hash records: {time.monotonic() - warm:.1f} s (cached after the first run)"
    )
    recorder = Recorder()
    load_before = os.getloadavg()[0]
    cpu_before, started = cpu_seconds(), time.monotonic()
    outcome = run_replay(config, recorder)
    wall = time.monotonic() - started
    own, kids = (after - before for after, before in zip(cpu_seconds(), cpu_before, strict=True))
    verdict = judge(outcome.tally, Rules(), mode="ab", accounts=accounts, order=list(SEGMENTS))
    hashing = "argon2id m=1024 t=1, legacy low" if cheap else "argon2id defaults, legacy historical"
    clock = config.candidate_env.get("FAKETIME", "no skew")
    print(
        f"\n== {accounts} accounts ({hashing}), concurrency {concurrency}, {topology}, "
        f"races on {config.race_share:.0%}, candidate clock {clock}"
    )
    print(f"verdict: {verdict.status}: {verdict.summary}")
    print(
        f"wall {wall:.1f} s; CPU {own + kids:.1f} s: replay process {own:.1f} s, servers and "
        f"commands {kids:.1f} s; load average before {load_before:.2f}"
    )
    marks = [*recorder.phases, ("end", wall)]
    for (name, at), (_, until) in itertools.pairwise(marks):
        print(f"  {until - at:7.1f} s  {name}")
    print(f"  requests paired: {verdict.metrics['paired_requests']}")
    extra = [row for row in verdict.tables[1].rows if row[0].startswith(("race-", "me-cross"))]
    for kind, _, pairs, base, cand, b, c in extra:
        print(f"    {kind}: {pairs} pairs, right {base} / {cand}, b={b} c={c}")
    series = ", ".join(f"{done}: {kib / 1024:.0f}" for done, kib in recorder.rss)
    during = max((kib for _, kib in recorder.rss), default=0) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  replay process RSS (MiB) by accounts done: {series}")
    print(f"  replay process RSS peak during the replay: {during:.0f} MiB; lifetime peak (incl.")
    print(f"  hashing the legacy records, argon2id at up to 64 MiB per thread): {peak:.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10_000, help="0 skips the memory run")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument(
        "--no-races", action="store_true", help="without the races and the clock skew (their cost)"
    )
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--cache", type=Path, default=default_cache_dir(os.environ))
    parser.add_argument(
        "--topology", choices=("direct", "nginx"), default="direct", help="replay.topology"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="replay-bench-"))
    try:
        clone = make_clone(workdir)
        print(f"machine: {os.cpu_count()} cores; cache {args.cache}")
        shared = {"concurrency": args.concurrency, "topology": args.topology}
        if args.accounts:
            run(clone, args.cache, args.accounts, cheap=False, races=not args.no_races, **shared)
        if args.large and not args.skip_large:
            run(clone, args.cache, args.large, cheap=True, **shared)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
