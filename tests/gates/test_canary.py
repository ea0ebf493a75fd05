"""The canary monitor: decisions, counters, and ``canary watch`` against real /metrics servers.

The servers are tiny ``http.server`` threads on 127.0.0.1 that serve Prometheus text; their
counters advance by a fixed step on every scrape, so the tests are deterministic whatever the
machine's speed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from quality_gates.canary.decision import Criteria, Sample, decide, p_lower
from quality_gates.canary.metrics import CounterTrack, ScrapeError, parse_counts
from quality_gates.canary.prometheus import QueryError, parse_vector
from quality_gates.processes import free_port
from tests.gates._repo import CLI, GitRepo

METRIC = "authsvc_login_attempts_total"


@dataclass
class FakeService:
    """Login counters that grow by ``step`` (per outcome) at every scrape."""

    step: dict[str, int]
    metric: str = METRIC
    counts: dict[str, int] = field(default_factory=dict)
    scrapes: int = 0
    status: int = 200

    def body(self) -> str:
        self.scrapes += 1
        for outcome, increment in self.step.items():
            self.counts[outcome] = self.counts.get(outcome, 0) + increment
        lines = [f"# HELP {self.metric} Login attempts.", f"# TYPE {self.metric} counter"]
        for outcome, value in self.counts.items():
            # Two workers, to check that other labels are summed.
            lines.append(f'{self.metric}{{outcome="{outcome}",worker="1"}} {value / 2}')
            lines.append(f'{self.metric}{{outcome="{outcome}",worker="2"}} {value / 2}')
        return "\n".join(lines) + "\n"


@dataclass
class Served:
    """A running fake and its base URL."""

    service: FakeService
    url: str


Serve = Callable[[FakeService], Served]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start fake /metrics servers on 127.0.0.1; all are shut down after the test."""
    servers: list[ThreadingHTTPServer] = []

    def start(service: FakeService) -> Served:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/metrics":
                    self.send_error(404)
                    return
                payload = service.body().encode()
                self.send_response(service.status)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return Served(service, f"http://127.0.0.1:{server.server_address[1]}")

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def committed(repo: GitRepo) -> GitRepo:
    repo.write("README.md", "hello\n")
    repo.commit("base")
    return repo


FAST = (
    "--canary-interval",
    "0.01",
    "--canary-duration",
    "2",
    "--canary-min-sample",
    "100",
    "--canary-metric",
    METRIC,
)
HEALTHY = {"success": 19, "bad_credentials": 1}


def watch(cli: CLI, baseline: Served, canary: Served, *extra: str) -> tuple[int, str]:
    run = cli(
        "--format", "json", "canary", "watch",
        "--baseline-url", baseline.url, "--canary-url", canary.url, *FAST, *extra,
    )  # fmt: skip
    return run.code, run.out


def test_healthy_canary_is_promoted(cli: CLI, committed: GitRepo, serve: Serve) -> None:
    baseline = serve(FakeService(HEALTHY))
    canary = serve(FakeService(HEALTHY))
    # Two polls' worth of logins is enough to promote, so a loaded machine that manages only a
    # few polls in the 2 s still reaches a decision (100 needed six, and failed under load).
    code, out = watch(cli, baseline, canary, "--canary-min-sample", "40")
    assert code == 0, out
    assert '"decision": "promote"' in out
    assert "login success 95.0% on the canary" in out


def test_failing_canary_is_rolled_back_early(cli: CLI, committed: GitRepo, serve: Serve) -> None:
    baseline = serve(FakeService(HEALTHY))
    canary = serve(FakeService({"success": 8, "bad_credentials": 12}))
    code, out = watch(cli, baseline, canary, "--canary-duration", "60")
    assert code == 1, out
    assert "roll back: login success 40.0% on the canary" in out
    assert '"impact": "the canary lets 40.0% of logins in, the baseline 95.0%"' in out
    assert canary.service.scrapes < 20  # decided as soon as the sample allowed, not at 60 s


def test_error_outcomes_roll_back(cli: CLI, committed: GitRepo, serve: Serve) -> None:
    baseline = serve(FakeService(HEALTHY))
    canary = serve(FakeService({"success": 19, "error": 1}))
    code, out = watch(cli, baseline, canary)
    assert code == 1, out
    assert "login errors 5.0% on the canary vs 0.0% on the baseline" in out


def test_too_little_traffic_is_inconclusive(cli: CLI, committed: GitRepo, serve: Serve) -> None:
    baseline = serve(FakeService({"success": 1}))
    canary = serve(FakeService({"success": 1}))
    code, out = watch(cli, baseline, canary, "--canary-duration", "0.3")
    assert code == 4, out
    assert '"status": "skipped"' in out
    assert "inconclusive: too few login attempts" in out


def test_a_missing_metric_is_inconclusive(cli: CLI, committed: GitRepo, serve: Serve) -> None:
    baseline = serve(FakeService(HEALTHY))
    canary = serve(FakeService(HEALTHY, metric="login_total"))
    code, out = watch(cli, baseline, canary, "--canary-duration", "0.3")
    assert code == 4, out
    assert f"metric {METRIC} not found on the canary" in out


def test_a_canary_whose_metrics_fail_is_rolled_back(
    cli: CLI, committed: GitRepo, serve: Serve
) -> None:
    baseline = serve(FakeService(HEALTHY))
    canary = serve(FakeService(HEALTHY, status=500))
    code, out = watch(cli, baseline, canary)
    assert code == 1, out
    assert "the canary's metrics did not answer 3 times in a row" in out


def test_watch_needs_both_urls(cli: CLI, committed: GitRepo) -> None:
    run = cli("canary", "watch", "--canary-url", "http://127.0.0.1:9")
    assert run.code == 2
    assert "canary watch needs --baseline-url URL and --canary-url URL" in run.err
    assert cli("canary", "watch", "--baseline-url", "ftp://x").code == 2


def test_in_run_without_urls_it_is_skipped(cli: CLI, committed: GitRepo) -> None:
    committed.write("pyproject.toml", '[tool.quality_gates]\ngates = ["canary"]\n')
    run = cli("run")
    assert run.code == 0
    assert "* canary: skipped (no canary to watch" in run.out


def test_parse_counts_sums_other_labels_and_ignores_other_metrics() -> None:
    text = (
        "# TYPE authsvc_login_attempts counter\n"
        'authsvc_login_attempts_total{outcome="success",worker="1"} 3\n'
        'authsvc_login_attempts_total{outcome="success",worker="2"} 4\n'
        'authsvc_login_attempts_created{outcome="success",worker="1"} 1.7e9\n'
        'authsvc_login_attempts_total{outcome="error",worker="1"} 1\n'
        'other_total{outcome="success"} 100\n'
    )
    assert parse_counts(text, METRIC, "outcome") == {"success": 7.0, "error": 1.0}
    assert parse_counts(text, "authsvc_login_attempts", "outcome") == {"success": 7.0, "error": 1.0}
    assert parse_counts("other_total 1\n", METRIC, "outcome") is None
    with pytest.raises(ScrapeError, match="not Prometheus text"):
        parse_counts("this is { not metrics\n", METRIC, "outcome")


def test_counter_track_survives_a_restart() -> None:
    track = CounterTrack()
    track.observe({"success": 100.0})
    track.observe({"success": 130.0, "error": 2.0})
    track.observe({"success": 5.0})  # the process restarted: 5 new
    assert track.total == {"success": 35.0, "error": 2.0}


CRITERIA = Criteria(min_sample=100, max_drop=2.0, max_error_rate=1.0, alpha=0.05)


def test_decisions() -> None:
    good = Sample(attempts=1000, successes=950, errors=0)
    assert decide(good, good, CRITERIA, final=False).kind == "continue"
    assert decide(good, good, CRITERIA, final=True).kind == "promote"
    small = Sample(attempts=50, successes=10, errors=0)
    assert decide(small, good, CRITERIA, final=False).kind == "continue"
    assert decide(small, good, CRITERIA, final=True).kind == "inconclusive"
    bad = Sample(attempts=1000, successes=600, errors=0)
    rollback = decide(bad, good, CRITERIA, final=False)
    assert rollback.kind == "rollback"
    assert rollback.p_value < 1e-6
    slightly = Sample(attempts=120, successes=110, errors=0)  # 91.7% vs 95%: not significant
    assert decide(slightly, good, CRITERIA, final=True).kind == "inconclusive"
    better = Sample(attempts=1000, successes=990, errors=0)
    assert decide(better, good, CRITERIA, final=True).kind == "promote"


def test_ignored_outcomes_are_not_attempts() -> None:
    sample = Sample.from_counts(
        {"success": 90, "bad_credentials": 10, "rate_limited": 500}, CRITERIA
    )
    assert (sample.attempts, sample.success_rate) == (100, 90.0)


def test_two_proportion_p_value() -> None:
    assert p_lower(50, 100, 50, 100) == pytest.approx(0.5)
    assert p_lower(40, 100, 60, 100) < 0.01
    assert p_lower(60, 100, 40, 100) > 0.99
    assert p_lower(0, 0, 1, 1) == 1.0
    assert p_lower(0, 10, 10, 10) == pytest.approx(0.0, abs=1e-4)


def test_the_metric_has_no_default(cli: CLI, committed: GitRepo) -> None:
    """The framework knows no service's counter: without ``metric`` it says what to set."""
    run = cli(
        "canary",
        "watch",
        "--baseline-url",
        "http://127.0.0.1:9",
        "--canary-url",
        "http://127.0.0.1:9",
    )
    assert run.code == 2
    assert (
        "no counter to follow: set [tool.quality_gates.canary] metric or --canary-metric" in run.err
    )
    assert "Traceback" not in run.err


def test_prometheus_settings_are_checked(cli: CLI, committed: GitRepo) -> None:
    both = cli(
        "canary", "watch", "--baseline-url", "http://127.0.0.1:9", "--canary-url", "http://127.0.0.1:9",
        "--prometheus-url", "http://127.0.0.1:9", "--canary-metric", METRIC,
    )  # fmt: skip
    assert both.code == 2
    assert "or --prometheus-url, not both" in both.err
    alone = cli(
        "canary", "watch", "--prometheus-url", "http://127.0.0.1:9", "--canary-metric", METRIC
    )
    assert alone.code == 2
    assert "--prometheus-url needs --baseline-selector and --canary-selector" in alone.err
    bad = cli("canary", "watch", "--canary-selector", 'track="canary"')
    assert bad.code == 2
    assert "PromQL label matchers in braces" in bad.err


def test_an_unreachable_prometheus_is_bad_input(cli: CLI, committed: GitRepo) -> None:
    port = free_port()  # nothing listens there
    run = cli(
        "canary", "watch", "--prometheus-url", f"http://127.0.0.1:{port}",
        "--canary-metric", METRIC,
        "--baseline-selector", '{track="baseline"}', "--canary-selector", '{track="canary"}',
        *FAST,
    )  # fmt: skip
    assert run.code == 2, run.out + run.err
    assert f"canary: Prometheus http://127.0.0.1:{port}: ConnectError (3 times in a row)" in run.err
    assert "Traceback" not in run.err


def _vector(*series: tuple[dict[str, str], str]) -> dict[str, object]:
    result = [{"metric": labels, "value": [1.7e9, value]} for labels, value in series]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def test_prometheus_series_are_grouped_by_replica() -> None:
    """One group per replica (labels without the outcome), so each restarts on its own."""
    body = _vector(
        ({"__name__": METRIC, "instance": "a:1", "outcome": "success"}, "10"),
        ({"__name__": METRIC, "instance": "a:1", "outcome": "error"}, "1"),
        ({"__name__": METRIC, "instance": "b:1", "outcome": "success"}, "5"),
    )
    assert parse_vector(body, "outcome", "q") == {
        "instance=a:1": {"success": 10.0, "error": 1.0},
        "instance=b:1": {"success": 5.0},
    }
    assert parse_vector(_vector(), "outcome", "q") is None
    with pytest.raises(QueryError, match="a counter of nan"):
        parse_vector(_vector(({"outcome": "success"}, "NaN")), "outcome", "q")
    with pytest.raises(QueryError, match="expected an instant vector"):
        parse_vector({"status": "success", "data": {"resultType": "matrix"}}, "outcome", "q")
