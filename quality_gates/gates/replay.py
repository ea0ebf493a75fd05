"""The differential replay gate: the baseline and the candidate on one realistic population.

The baseline (the merge base, or ``replay.baseline``) and the candidate (the working tree) run
side by side as real processes, each from its own environment, on copies of one database the
baseline wrote; every account's requests are compared pair by pair, per segment, plus a
rollback check. See docs/replay.md.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Mapping
from pathlib import Path

from quality_gates import git
from quality_gates import validate as v
from quality_gates.context import AddOptions, GateContext
from quality_gates.errors import InputError
from quality_gates.globs import matches
from quality_gates.policy import Policy, ReplayPolicy
from quality_gates.profile import TargetProfile, load_profile
from quality_gates.replay import skew
from quality_gates.replay.launch import LaunchError
from quality_gates.replay.legacy import COSTS
from quality_gates.replay.play import KINDS
from quality_gates.replay.population import Population
from quality_gates.replay.population_file import read_population
from quality_gates.replay.progress import Progress
from quality_gates.replay.runner import ReplayConfig, ReplayOutcome, run_replay
from quality_gates.replay.seed import SeedError
from quality_gates.replay.segments import SEGMENTS
from quality_gates.replay.session import ReplayTimeoutError
from quality_gates.replay.timing import TimingRules, judge_timing
from quality_gates.replay.verdict import Mode, Rules, judge
from quality_gates.replay.worktree import default_cache_dir
from quality_gates.result import Finding, GateResult

NAME = "replay"
HELP = "differential replay: baseline and candidate side by side on a realistic user population"
SECTIONS: tuple[str, ...] = ("replay",)
OPTIONS: tuple[AddOptions, ...] = ()


def _unknown_names(key: str, given: dict[str, float], known: list[str], what: str) -> list[str]:
    keypath = f"tool.quality_gates.replay.{key}"
    return [
        f"{keypath}: "
        + v.unknown_key("", name, known).removeprefix(".").replace("unknown key", f"unknown {what}")
        for name in given
        if name not in known
    ]


def policy_problems(policy: Policy) -> list[str]:
    """What the policy cannot know: which segments and request kinds the engine has."""
    keypath = "tool.quality_gates.replay.segments"
    given = dict(policy.replay.segments)
    problems = _unknown_names("segments", given, list(SEGMENTS), "segment")
    shares = {name: segment.share for name, segment in SEGMENTS.items()} | given
    # Only meaningful once every segment name is known; a cost_budget typo does not hide it.
    if given and not problems and not any(shares.values()):
        problems.append(f"{keypath}: at least one segment with a share > 0")
    return problems + _unknown_names(
        "cost_budget", dict(policy.replay.cost_budget), list(KINDS), "request kind"
    )


def _shares(
    policy: ReplayPolicy, profile: TargetProfile, repo: Path
) -> tuple[dict[str, float], list[Finding]]:
    """The configured shares, minus the segments this target cannot have (with a note).

    A population file (``replay.population``, e.g. from ``quality-gates census``) replaces
    the built-in shares; ``replay.segments`` still overrides single segments on top of it.
    """
    if policy.population:
        shares = read_population(repo / policy.population)
    else:
        shares = {name: segment.share for name, segment in SEGMENTS.items()}
    shares.update(dict(policy.segments))
    notes = []
    for name, segment in SEGMENTS.items():
        why = ""
        if segment.source == "import" and not profile.hooks.seed_accounts:
            why = "the profile has no [hooks] seed_accounts"
        elif segment.state == "locked" and profile.claims.lockout is None:
            why = "the profile claims no lockout"
        if why and shares[name]:
            shares[name] = 0.0
            notes.append(
                Finding(
                    f"segment {name} left out: {why}", severity="info", rule_id="segment-skipped"
                )
            )
    if not any(shares.values()):
        raise InputError("replay: no segment left to replay (every share is 0)")
    return shares, notes


def _baseline(ctx: GateContext, policy: ReplayPolicy) -> tuple[str, list[Finding]]:
    baseline = (
        git.resolve_baseline(ctx.repo, policy.baseline, ctx.policy.baseline_fallback)
        if policy.baseline
        else ctx.baseline
    )
    notes = (
        [Finding(baseline.note, severity="warning", rule_id="baseline-fallback")]
        if baseline.note
        else []
    )
    if baseline.sha is None:
        raise InputError(f"replay: no baseline commit to compare with ({baseline.label})")
    return baseline.sha, notes


def _critical_change(ctx: GateContext, policy: ReplayPolicy) -> str | None:
    """Why the replay is not needed (no changed file in its paths), or ``None`` to run it.

    The same rule as the other gates: ``replay.paths`` when set, else the critical paths;
    with neither, every change is replayed.
    """
    patterns = policy.paths or ctx.policy.critical_paths
    if policy.mode == "aa" or not patterns:  # A/A measures noise: nothing has to change
        return None
    if any(matches(p, patterns) for f in ctx.changes.files for p in f.paths):
        return None
    return f"no critical change since {ctx.baseline.label}"


def _what_was_replayed(policy: ReplayPolicy, commit: str, accounts: int) -> Finding:
    """One line for the report: which versions, how many accounts, at which hashing costs."""
    costs = COSTS["low" if policy.legacy_costs == "low" else "historical"]
    pbkdf2 = "/".join(f"{n:,}" for n in costs.pbkdf2_iterations)
    argon2 = ", ".join(f"m={a.memory_cost} KiB t={a.time_cost}" for a in costs.argon2)
    overrides = ", ".join(f"{k}={v}" for k, v in policy.env if "{secret}" not in v)
    return Finding(
        f"replayed {accounts} accounts (seed {policy.seed}) on the baseline {commit[:12]} and "
        f"the working tree, {policy.database}; legacy hashes at {policy.legacy_costs} costs "
        f"(PBKDF2 {pbkdf2} iterations, bcrypt cost {costs.bcrypt_rounds}, argon2id {argon2})"
        + (f"; both versions with {overrides}" if overrides else "")
        + (
            "; each behind nginx, the accounts spread over several client addresses"
            if policy.topology == "nginx"
            else ""
        ),
        severity="info",
        rule_id="replayed",
    )


def _skew(policy: ReplayPolicy, environ: Mapping[str, str]) -> tuple[dict[str, str], Finding]:
    """The candidate's clock-skew environment and a line for the report saying what ran."""
    try:
        env = skew.candidate_env(policy.clock_skew, environ)
    except skew.SkewUnavailableError as exc:
        if environ.get("QG_REQUIRE_FAKETIME") == "1":
            raise InputError(f"replay: {exc} (QG_REQUIRE_FAKETIME=1)") from None
        note = f"{exc}: the candidate ran on the baseline's clock"
        return {}, Finding(note, severity="warning", rule_id="skew")
    ran = f"the candidate's clock {policy.clock_skew:+d} s from the baseline's"
    races = f"races on {policy.races:g}% of each imported-hash segment's accounts"
    return env, Finding(f"{ran}; {races}", severity="info", rule_id="skew")


def _result(
    outcome: ReplayOutcome, policy: ReplayPolicy, notes: list[Finding], server_metric: str = ""
) -> GateResult:
    if outcome.deploy_error:
        first = outcome.deploy_error.splitlines()[0]
        findings = [Finding(outcome.deploy_error, severity="error", rule_id="deploy"), *notes]
        return GateResult(
            NAME,
            "fail",
            summary=f"the candidate does not deploy on the baseline's data: {first}",
            findings=findings,
        )
    order = list(SEGMENTS)
    mode: Mode = "aa" if policy.mode == "aa" else "ab"
    verdict = judge(
        outcome.tally,
        Rules(policy.threshold, policy.segment_tolerance),
        mode=mode,
        accounts=outcome.accounts,
        order=order,
    )
    findings = verdict.findings + notes
    status, summary = verdict.status, verdict.summary
    if outcome.limited_logins:
        findings.insert(
            0,
            Finding(
                f"{outcome.limited_logins} accounts' correct logins were refused with 429 on the "
                "candidate and let in on the baseline: another client's failures count against "
                "them (how is the client address derived behind the proxy?)",
                severity="error",
                rule_id="neighbour",
            ),
        )
    if outcome.neighbour_problems:
        status = "fail"
        summary = outcome.neighbour_problems[0]
        findings[:0] = [
            Finding(problem, severity="error", rule_id="neighbour")
            for problem in outcome.neighbour_problems
        ]
    # Cost and timing (replay/timing.py): a fail of their own when everything else passed.
    timing = judge_timing(
        outcome.costs,
        outcome.oracle,
        TimingRules(policy.max_cost_increase, dict(policy.cost_budget)),
        outcome.rehashes,
        server_metric=server_metric,
    )
    findings += timing.findings
    verdict.tables += timing.tables
    verdict.metrics.update(timing.metrics)
    if timing.problems and status == "pass":
        status, summary = "fail", timing.problems[0]
    if outcome.rollback_error:
        status = "fail"
        first = outcome.rollback_error.splitlines()[0]
        summary = f"after a rollback, the baseline does not start on the candidate's data: {first}"
        findings.insert(0, Finding(outcome.rollback_error, severity="error", rule_id="rollback"))
    metrics = {
        **verdict.metrics,
        "seconds": round(outcome.seconds, 1),
        "seed": policy.seed,
        "legacy_costs": policy.legacy_costs,
        "clock_skew": policy.clock_skew,
        "race_share": policy.races,
    }
    return GateResult(
        NAME,
        status,
        summary=summary,
        findings=findings,
        metrics=metrics,
        tables=verdict.tables,
        impact=verdict.impact if status == "fail" else "",
    )


def run(ctx: GateContext) -> GateResult:
    """Replay the population on both versions and judge the pairs."""
    policy = ctx.policy.replay
    if not policy.profile:
        return GateResult(
            NAME,
            "skipped",
            reason="no replay profile: set [tool.quality_gates.replay] profile or --profile",
        )
    profile = load_profile(ctx.path(policy.profile))
    if profile.launch is None:
        raise InputError(
            f"{policy.profile}: the replay needs a [launch] section to start each version"
        )
    if (why_not := _critical_change(ctx, policy)) is not None:
        return GateResult(NAME, "skipped", reason=why_not, findings=ctx.baseline_findings())
    commit, notes = _baseline(ctx, policy)
    notes.insert(0, _what_was_replayed(policy, commit, policy.accounts))
    shares, skipped = _shares(policy, profile, ctx.repo)
    candidate_env, skew_note = _skew(policy, ctx.environ)
    notes.insert(1, skew_note)
    secret = secrets.token_urlsafe(48)  # one per run, the same for every version it starts
    cache = ctx.path(policy.cache_dir) if policy.cache_dir else default_cache_dir(ctx.environ)
    config = ReplayConfig(
        profile=profile,
        repo=ctx.repo.resolve(),
        baseline_commit=commit,
        population=Population(policy.accounts, policy.seed, shares),
        costs="low" if policy.legacy_costs == "low" else "historical",
        database="postgresql" if policy.database == "postgresql" else "sqlite",
        postgres_dsn=policy.postgres_dsn,
        env={key: value.replace("{secret}", secret) for key, value in policy.env},
        timezone=policy.timezone,
        concurrency=policy.concurrency,
        timeout=policy.timeout,
        cache_dir=cache.resolve(),
        mode="aa" if policy.mode == "aa" else "ab",
        topology=policy.topology,
        timing_samples=policy.timing_samples,
        race_share=policy.races / 100,
        candidate_env=candidate_env,
    )
    try:
        outcome = run_replay(config, Progress.for_terminal(sys.stderr, ctx.environ))
    except (LaunchError, SeedError) as exc:
        raise InputError(f"the baseline cannot be replayed: {exc}") from None
    except ReplayTimeoutError as exc:
        raise InputError(f"replay: {exc} (raise replay.timeout, or lower accounts)") from None
    return _result(outcome, policy, notes + skipped, profile.timing.server_metric)
