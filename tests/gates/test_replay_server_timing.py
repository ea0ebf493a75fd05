"""Timing by the service's own ``Server-Timing`` figures (``[timing] server_metric``).

The header is read by the replay's client, a pair is timed by it only when both versions sent
it, the probe only when every answer did, and a profile that names a metric no answer carried
gets a warning. The live check is the replay bars' (test_replay_bars.py), whose profile asks
for it; the false-alarm rate is bench/timing_aa.py's.
"""

from __future__ import annotations

import tomllib

import anyio
import httpx
import pytest

from quality_gates.errors import InputError
from quality_gates.profile import load_profile, parse_profile
from quality_gates.replay.client import Api, Result
from quality_gates.replay.server_timing import server_seconds
from quality_gates.replay.timing import (
    ROUND_TRIP,
    SERVER,
    CostSamples,
    TimingRules,
    judge_timing,
    oracle_samples,
    paired_seconds,
)
from tests.gates._replay import PROFILE
from tests.gates.test_replay_timing import PROFILE as AUTHSVC_PROFILE


@pytest.mark.parametrize(
    ("values", "seconds"),
    [
        (["app;dur=12.5"], 0.0125),
        (["app;dur=0.25;desc=handler"], 0.00025),
        (['db;dur=3, app;desc="a,b;dur=9";dur=7'], 0.007),  # separators inside quotes
        (["db;dur=1", 'app;dur="4"'], 0.004),  # the second header line; a quoted value
        (["app ; DUR = 2"], 0.002),  # whitespace, the parameter name in any case
        (["app;dur=5, app;dur=6"], 0.005),  # the first entry of a metric wins
    ],
)
def test_the_metric_duration_is_read_in_seconds(values: list[str], seconds: float) -> None:
    assert server_seconds(values, "app") == pytest.approx(seconds)


@pytest.mark.parametrize(
    "values",
    [
        [],
        ["db;dur=3"],  # another metric only
        ['cache;desc="app;dur=9"'],  # the name inside another metric's quoted text
        ["App;dur=1"],  # metric names are compared exactly
        ["app"],  # no duration
        ["app;desc=x"],
        ["app;dur=fast"],
        ["app;dur=-1"],
        ["app;dur=inf"],
        ["app;dur=nan"],
        ["app;dur="],
    ],
)
def test_no_figure_without_a_readable_duration_of_the_metric(values: list[str]) -> None:
    assert server_seconds(values, "app") is None


def _api_result(headers: dict[str, str], metric: str) -> Result:
    """A login through the replay's client against a server answering with ``headers``."""
    document = tomllib.loads(PROFILE)
    document["timing"] = {"server_metric": metric} if metric else {}
    profile = parse_profile(document)

    def server(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, headers=headers)

    async def main() -> Result:
        transport = httpx.MockTransport(server)
        async with httpx.AsyncClient(transport=transport, base_url="http://replay.test") as http:
            return await Api(profile, http).login("a@example.org", "wrong password")

    return anyio.run(main)


def test_the_client_reads_the_metric_the_profile_names() -> None:
    result = _api_result({"Server-Timing": "app;dur=8"}, "app")
    assert result.outcome == "bad_credentials"
    assert result.server_seconds == pytest.approx(0.008)
    assert result.seconds > 0  # the round trip is kept as well


def test_the_client_ignores_the_header_unless_the_profile_asks() -> None:
    assert _api_result({"Server-Timing": "app;dur=8"}, "").server_seconds is None
    assert _api_result({"Server-Timing": "app;dur=8"}, "total").server_seconds is None
    assert _api_result({}, "app").server_seconds is None


def _timed(rtt: float, server: float | None) -> Result:
    return Result("success", 200, seconds=rtt, server_seconds=server)


def test_a_pair_is_timed_by_the_servers_only_when_both_sent_a_figure() -> None:
    assert paired_seconds(_timed(0.05, 0.02), _timed(0.06, 0.03)) == (0.02, 0.03, SERVER)
    # One side without a figure: both round trips, never one of each.
    assert paired_seconds(_timed(0.05, 0.02), _timed(0.06, None)) == (0.05, 0.06, ROUND_TRIP)
    assert paired_seconds(_timed(0.05, None), _timed(0.06, 0.03)) == (0.05, 0.06, ROUND_TRIP)
    assert paired_seconds(_timed(0.05, 0.0), _timed(0.06, 0.03)) == (0.05, 0.06, ROUND_TRIP)
    assert paired_seconds(_timed(0.0, None), _timed(0.06, 0.03)) is None  # no answer: no sample


def test_the_cost_table_says_what_timed_each_kind() -> None:
    costs = CostSamples()
    for i in range(30):
        both = i % 3 != 0  # a third of the logins lack one side's figure
        costs.add(
            {"login": _timed(0.05, 0.02), "me": _timed(0.01, None), "refresh": _timed(0.02, 0.01)},
            {
                "login": _timed(0.05, 0.02 if both else None),
                "me": _timed(0.01, None),
                "refresh": _timed(0.02, 0.01),
            },
        )
    assert costs.timed_by("login") == "server 20/30"
    assert costs.timed_by("me") == ROUND_TRIP
    assert costs.timed_by("refresh") == SERVER
    assert costs.pairs["refresh"][0] == (0.01, 0.01)
    (table,) = judge_timing(costs, None, TimingRules()).tables
    assert table.columns[-1] == "timed by"
    assert {row[0]: row[-1] for row in table.rows} == {
        "login": "server 20/30",
        "me": ROUND_TRIP,
        "refresh": SERVER,
    }


def test_a_costlier_candidate_is_judged_on_the_servers_figures() -> None:
    """Round trips equal, the servers' own time doubled: the server figure decides."""
    costs = CostSamples()
    for i in range(60):
        base_time = 0.010 + i * 0.0001
        costs.add({"login": _timed(0.05, base_time)}, {"login": _timed(0.05, 2 * base_time)})
    judgement = judge_timing(costs, None, TimingRules())
    assert judgement.problems[0].startswith("login costs 2.00x the baseline's time")


def _answers(server: float | None, missing: str = "") -> dict[str, dict[str, list[Result]]]:
    return {
        version: {
            path: [
                _timed(0.05 + i / 1000, None if f"{version}/{path}" == missing else server)
                for i in range(12)
            ]
            for path in ("known", "unknown")
        }
        for version in ("baseline", "candidate")
    }


def test_the_probe_is_timed_by_the_servers_when_every_answer_has_a_figure() -> None:
    oracle = oracle_samples(_answers(0.02))
    assert oracle.measure == SERVER
    assert set(oracle.candidate.known) == {0.02}
    judgement = judge_timing(CostSamples(), oracle, TimingRules())
    assert "(medians, server times)" in judgement.findings[0].message


def test_the_probe_falls_back_to_round_trips_when_one_answer_lacks_a_figure() -> None:
    oracle = oracle_samples(_answers(0.02, missing="candidate/unknown"))
    assert oracle.measure == ROUND_TRIP
    assert oracle.baseline.known == tuple(0.05 + i / 1000 for i in range(12))


def test_a_metric_no_answer_carried_is_a_warning() -> None:
    costs = CostSamples()
    costs.add({"login": _timed(0.05, None)}, {"login": _timed(0.05, None)})
    warned = judge_timing(costs, None, TimingRules(), server_metric="app")
    (warning,) = (f for f in warned.findings if f.severity == "warning")
    assert "server_metric is 'app', but no request was answered with it" in warning.message
    assert warned.problems == []  # a weaker measure, not a failed change
    quiet = judge_timing(costs, None, TimingRules())
    assert not [f for f in quiet.findings if f.severity == "warning"]
    timed = CostSamples()
    timed.add({"login": _timed(0.05, 0.01)}, {"login": _timed(0.05, 0.01)})
    served = judge_timing(timed, None, TimingRules(), server_metric="app")
    assert not [f for f in served.findings if f.severity == "warning"]


def test_the_profile_names_a_server_timing_metric() -> None:
    assert load_profile(AUTHSVC_PROFILE).timing.server_metric == "app"
    document = tomllib.loads(AUTHSVC_PROFILE.read_text(encoding="utf-8"))
    document["timing"] = {"server_metric": "app dur"}
    with pytest.raises(InputError, match=r"timing\.server_metric: .*an HTTP token"):
        parse_profile(document)
    document["timing"] = {"server_metrics": "app"}
    with pytest.raises(InputError, match=r"timing\.server_metrics.*did you mean"):
        parse_profile(document)
    del document["timing"]
    assert parse_profile(document).timing.server_metric == ""
