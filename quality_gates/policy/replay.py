"""``[tool.quality_gates.replay]``: the differential replay; docs/replay.md explains each key."""

from __future__ import annotations

from dataclasses import dataclass

from quality_gates import validate as v
from quality_gates.policy import converters as c
from quality_gates.policy.setting import Alias, choice, setting

#: The ``TZ`` both versions run under: a fixed offset east of UTC and not a whole hour, so
#: naive local times (tokens born in the future, locks that end early) show up in the
#: replay. A POSIX string, so it needs no time zone database on the machine.
DEFAULT_TIMEZONE = "<+0545>-5:45"


@dataclass(frozen=True)
class ReplayPolicy:
    """``[tool.quality_gates.replay]``."""

    profile: str = setting(
        "",
        v.string,
        "target profile (TOML) with a [launch] section",
        flag=None,
        metavar="PATH",
        aliases=(Alias("--profile"),),
    )
    baseline: str = setting(
        "",
        v.string,
        "git ref whose merge base is replayed as the baseline (default: the global baseline)",
        flag=None,
        metavar="REF",
    )
    paths: tuple[str, ...] = setting((), v.glob_list, "changes that trigger a replay")
    accounts: int = setting(
        1000,
        c.bounded_int(1, 1_000_000),
        "population size",
        flag=None,
        metavar="N",
        read=int,
        aliases=(Alias("--accounts"),),
    )
    seed: int = setting(
        0,
        v.non_negative_int,
        "population seed",
        flag=None,
        metavar="N",
        read=int,
        aliases=(Alias("--seed"),),
    )
    population: str = setting(
        "",
        v.string,
        "population file of segment shares (quality-gates census writes one)",
        flag=None,
        metavar="FILE",
        aliases=(Alias("--population"),),
    )
    segments: tuple[tuple[str, float], ...] = setting(
        (), c.shares, "segment = share, over the default shares"
    )
    threshold: int = setting(
        0,
        v.non_negative_int,
        "regressed requests tolerated",
        flag="--replay-max-regressions",
        metavar="N",
        read=int,
        aliases=(Alias("--max-regressions"),),
    )
    segment_tolerance: float = setting(0.0, v.percent, "per-segment regressions tolerated, %")
    database: str = choice(
        "sqlite",
        ("sqlite", "postgresql"),
        "the versions' database",
        flag=None,
        aliases=(Alias("--database"),),
    )
    postgres_dsn: str = setting(
        "",
        v.string,
        "PostgreSQL server to make databases on",
        flag=None,
        metavar="DSN",
        aliases=(Alias("--postgres-dsn"),),
    )
    env: tuple[tuple[str, str], ...] = setting(
        (), c.string_table, "environment variables of both versions"
    )
    legacy_costs: str = choice(
        "historical",
        ("historical", "low"),
        "cost parameters of the imported legacy hashes",
        flag=None,
        aliases=(Alias("--legacy-costs"),),
    )
    timezone: str = setting(DEFAULT_TIMEZONE, c.timezone, "TZ of both versions")
    concurrency: int = setting(
        4,
        c.bounded_int(1, 64),
        "accounts in flight",
        flag=None,
        metavar="N",
        read=int,
        aliases=(Alias("--concurrency"),),
    )
    timeout: float = setting(
        1800.0, v.positive_number, "time budget, seconds", flag=None, metavar="SECONDS", read=float
    )
    cache_dir: str = setting(
        "",
        v.string,
        "cache for environments and populations",
        flag="--replay-cache",
        metavar="DIR",
    )
    mode: str = choice(
        "ab",
        ("ab", "aa"),
        "ab: baseline against candidate; aa: the baseline against itself, to measure noise",
        flag=None,
        aliases=(Alias("--aa", const="aa"),),
    )
    max_cost_increase: float = setting(
        30.0,
        v.positive_number,
        "percent a request kind's cost may grow (lower bound of its paired ratio)",
        flag=None,
        metavar="PERCENT",
        read=float,
    )
    cost_budget: tuple[tuple[str, float], ...] = setting(
        (), c.cost_budget, "request kind = percent: a declared, intended cost increase"
    )
    timing_samples: int = setting(
        40,
        c.bounded_int(0, 1000),
        "rounds of the timing-oracle probe (0: no probe)",
        flag=None,
        metavar="N",
        read=int,
    )
    races: float = setting(
        10.0,
        v.percent,
        "percent of each imported-hash segment's accounts that race themselves",
        flag=None,
        metavar="PCT",
        read=float,
    )
    clock_skew: int = setting(
        -20,
        c.skew,
        "seconds the candidate's clock runs from the baseline's (negative: behind)",
        flag=None,
        metavar="SECONDS",
        read=int,
    )
    topology: str = choice(
        "direct",
        ("direct", "nginx"),
        "how the replay reaches each version: directly, or behind its own nginx (docs/deployed.md)",
        flag=None,
    )
