"""The replay's cost and timing rules (quality_gates/replay/timing.py), on synthetic samples.

The live rules (a dropped dummy verify, a rehash at every login) are replay bars in
test_replay_bars.py; the false-alarm rate over many A/A runs is bench/timing_aa.py.
"""

from __future__ import annotations

import math
import random
import tomllib
from pathlib import Path

import pytest

from quality_gates.errors import InputError
from quality_gates.gates import GATES
from quality_gates.gates.replay import policy_problems
from quality_gates.policy import parse_policy
from quality_gates.profile import load_profile, parse_profile
from quality_gates.replay.client import Result
from quality_gates.replay.counters import FirstLogins, Rehashes, read_counter
from quality_gates.replay.races import FIRST_LOGINS, RACE_FIRST_LOGIN
from quality_gates.replay.timing import (
    CostSamples,
    Oracle,
    OracleSamples,
    TimingRules,
    cost_ratio,
    judge_timing,
    log_binomial_cdf,
    sign_lower_index,
)

PROFILE = Path(__file__).resolve().parents[2] / "profiles" / "authsvc.toml"


def _binomial_cdf(k: int, n: int) -> float:
    return float(sum(math.comb(n, i) for i in range(k + 1)) / 2**n)


@pytest.mark.parametrize(("k", "n", "p"), [(0, 10, 0.5), (8, 30, 0.5), (3, 100, 0.03), (5, 7, 0.9)])
def test_the_binomial_cdf_in_log_space(k: int, n: int, p: float) -> None:
    exact = sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))
    assert math.exp(log_binomial_cdf(k, n, p)) == pytest.approx(exact, rel=1e-9)


@pytest.mark.parametrize("n", [7, 8, 20, 50, 333])
def test_the_sign_bound_is_the_tightest_at_one_percent(n: int) -> None:
    index = sign_lower_index(n)
    assert index is not None
    assert _binomial_cdf(index, n) <= 0.01 < _binomial_cdf(index + 1, n)


def test_too_few_values_give_no_bound() -> None:
    assert sign_lower_index(6) is None  # 0.5**6 > 1%: even the minimum is no bound


def _pairs(ratio: float, n: int, seed: int = 0) -> list[tuple[float, float]]:
    """Paired times with log-normal noise on both sides and shared load per pair."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        load = rng.lognormvariate(0, 0.5)  # the machine's load hits both sides of a pair
        base = 0.05 * load * rng.lognormvariate(0, 0.3)
        cand = 0.05 * ratio * load * rng.lognormvariate(0, 0.3)
        pairs.append((base, cand))
    return pairs


def test_equal_costs_are_not_a_regression() -> None:
    for seed in range(50):
        ratio = cost_ratio("login", _pairs(1.0, 200, seed))
        assert ratio is not None
        assert ratio.lower_bound < 1.3


def test_a_doubled_cost_is_over_the_default_budget() -> None:
    costs = CostSamples({"login": _pairs(2.0, 200), "me": _pairs(1.0, 200)})
    judgement = judge_timing(costs, None, TimingRules())
    assert len(judgement.problems) == 1
    assert judgement.problems[0].startswith("login costs 1.9")
    assert "over the allowed 1.30x" in judgement.problems[0]
    assert judgement.findings[0].rule_id == "timing-verdict"


def test_a_declared_budget_allows_the_intended_increase() -> None:
    costs = CostSamples({"login": _pairs(1.5, 200)})
    assert judge_timing(costs, None, TimingRules()).problems
    assert not judge_timing(costs, None, TimingRules(cost_budget={"login": 80})).problems


def test_a_kind_with_few_pairs_is_not_judged() -> None:
    costs = CostSamples({"login": _pairs(3.0, 19)})
    judgement = judge_timing(costs, None, TimingRules())
    assert judgement.problems == []
    assert judgement.tables == []


def test_only_requests_answered_alike_are_paired() -> None:
    costs = CostSamples()
    base = {
        "login": Result("success", 200, seconds=0.05),
        "me": Result("success", 200, seconds=0.01),
        "refresh": Result("success", 200, seconds=0.02),
    }
    cand = {
        "login": Result("success", 200, seconds=0.06),
        "me": Result("bad_credentials", 401, seconds=0.001),
        "refresh": Result("error", None),  # no answer: no time
    }
    costs.add(base, cand)
    assert costs.pairs == {"login": [(0.05, 0.06)]}


def test_untimed_answers_are_not_paired() -> None:
    """Requests sent concurrently on purpose (the races) carry no time: they are no sample."""
    costs = CostSamples()
    timed, untimed = Result("success", 200, seconds=0.05), Result("success", 200)
    costs.add({"login": timed, "me": untimed}, {"login": untimed, "me": timed})
    costs.add({"refresh": timed}, {"refresh": timed})
    assert costs.pairs == {"refresh": [(0.05, 0.05)]}


def _samples(unknown_shift: float, seed: int, n: int = 40) -> OracleSamples:
    rng = random.Random(seed)

    def noisy(mean: float) -> float:
        return mean * rng.lognormvariate(0, 0.1)

    known = tuple(noisy(0.050) for _ in range(n))
    unknown = tuple(noisy(0.050 - unknown_shift) for _ in range(n))
    return OracleSamples(known, unknown)


def test_an_unknown_account_answered_without_hashing_is_a_timing_oracle() -> None:
    # One hash skipped: a fifth of the login.
    oracle = Oracle(baseline=_samples(0.0, 3), candidate=_samples(0.010, 4))
    judgement = judge_timing(CostSamples(), oracle, TimingRules())
    assert len(judgement.problems) == 1
    assert judgement.problems[0].startswith("timing oracle: an unknown account's login takes")
    assert float(judgement.metrics["oracle_p_candidate"]) < 0.001
    assert float(judgement.metrics["oracle_p_baseline"]) >= 0.01


def test_no_oracle_when_the_baseline_leaks_as_well() -> None:
    oracle = Oracle(baseline=_samples(0.045, 1), candidate=_samples(0.045, 2))
    assert judge_timing(CostSamples(), oracle, TimingRules()).problems == []


def test_equal_paths_are_not_an_oracle() -> None:
    alarms = sum(
        bool(
            judge_timing(
                CostSamples(), Oracle(_samples(0.0, 2 * s), _samples(0.0, 2 * s + 1)), TimingRules()
            ).problems
        )
        for s in range(300)
    )
    assert alarms <= 1  # at most ORACLE_ALPHA (0.1%) of runs


def test_cost_policy_keys() -> None:
    replay = {"max_cost_increase": 50, "cost_budget": {"login": 60}, "timing_samples": 0}
    policy = parse_policy({"replay": replay}, tuple(GATES))
    assert policy.replay.max_cost_increase == 50.0
    assert policy.replay.cost_budget == (("login", 60.0),)
    assert policy.replay.timing_samples == 0
    # Which kinds exist is the engine's business: the replay gate checks the names.
    misspelt = parse_policy({"replay": {"cost_budget": {"logn": 60}}}, tuple(GATES))
    (problem,) = policy_problems(misspelt)
    assert problem.startswith("tool.quality_gates.replay.cost_budget: ")
    assert 'unknown request kind (did you mean "login"?)' in problem
    with pytest.raises(InputError, match="a percent >= 0"):
        parse_policy({"replay": {"cost_budget": {"login": -5}}}, tuple(GATES))


METRICS = """\
# HELP authsvc_hash_upgrades_total Password hashes rewritten after a successful login.
# TYPE authsvc_hash_upgrades_total counter
authsvc_hash_upgrades_total{from_scheme="argon2id",outcome="upgraded"} 7.0
authsvc_hash_upgrades_total{from_scheme="bcrypt",outcome="upgraded"} 5.0
authsvc_hash_upgrades_total{from_scheme="bcrypt",outcome="error"} 2.0
"""


def test_a_counter_selector_sums_the_samples_it_matches() -> None:
    assert read_counter(METRICS, 'authsvc_hash_upgrades_total{outcome="upgraded"}') == 12.0
    assert read_counter(METRICS, "authsvc_hash_upgrades") == 14.0
    selector = 'authsvc_hash_upgrades_total{from_scheme="bcrypt",outcome="error"}'
    assert read_counter(METRICS, selector) == 2.0
    assert read_counter(METRICS, "authsvc_logins_total") is None
    assert read_counter("not { prometheus", "authsvc_hash_upgrades") is None


@pytest.mark.parametrize(
    ("baseline", "candidate", "fails"),
    [
        (40, 40, False),  # legacy accounts upgraded once on both
        (40, 95, False),  # an intended parameter upgrade: every account once
        (40, 230, True),  # a rehash at every login: more rehashes than accounts
        (230, 230, False),  # the baseline does it too: nothing new
    ],
)
def test_more_rehashes_than_accounts_is_rehashing_every_login(
    baseline: float, candidate: float, *, fails: bool
) -> None:
    rehashes = Rehashes(baseline, candidate, baseline_logins=100, candidate_logins=100)
    judgement = judge_timing(CostSamples(), None, TimingRules(), rehashes)
    assert bool(judgement.problems) is fails
    assert judgement.metrics["rehashes_candidate"] == candidate
    if fails:
        assert judgement.problems[0].startswith("rehashes: the candidate rewrote 230 password")


def test_logins_are_counted_per_account_and_version() -> None:
    logins = FirstLogins()
    ok, no = Result("success", 200, seconds=0.01), Result("bad_credentials", 401, seconds=0.01)
    logins.add({"login": ok, "login-case": ok}, {"login": no, "login-case": ok})
    logins.add({"login": ok, "me": ok}, {"login": no, "me": ok})
    assert (logins.baseline, logins.candidate) == (2, 1)


def test_each_racing_first_login_may_rehash() -> None:
    """An intended upgrade whose racing first logins each rewrote the stale hash passes.

    CI once saw 98 rehashes for 95 accounts on a benign parallelism upgrade: three raced
    accounts had two of their simultaneous first logins each upgrade the hash.
    """
    logins = FirstLogins()
    ok = Result("success", 200, seconds=0.01)
    for _ in range(92):
        logins.add({"login": ok}, {"login": ok})
    for _ in range(3):
        raced = {RACE_FIRST_LOGIN: ok, "login": ok}
        logins.add(raced, raced)
    counted = (logins.baseline, logins.candidate)
    assert counted == (92 + 3 * FIRST_LOGINS, 92 + 3 * FIRST_LOGINS)
    upgrade = judge_timing(CostSamples(), None, TimingRules(), Rehashes(50, 98, *counted))
    assert upgrade.problems == []
    every_login = judge_timing(CostSamples(), None, TimingRules(), Rehashes(50, 200, *counted))
    assert every_login.problems[0].startswith("rehashes: the candidate rewrote 200 password")


def test_the_profile_names_its_counters() -> None:
    document = tomllib.loads(PROFILE.read_text(encoding="utf-8"))
    assert load_profile(PROFILE).counters.rehashes.startswith("authsvc_hash_upgrades_total{")
    document["counters"] = {"rehashes": "authsvc hash upgrades", "path": "metrics"}
    with pytest.raises(InputError) as error:
        parse_profile(document)
    assert "counters.rehashes" in str(error.value)
    assert "counters.path" in str(error.value)
