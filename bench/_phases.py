"""The measurements of the login benchmark, one function per phase.

Each phase returns a dict of figures including the CPU shares from :class:`CpuWindow`
(``other_cpu_pct`` above all, which says whether others' load disturbed it). Floods run in the
generator process (:func:`bench._loadgen.run_flood`); probes run in this process.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing.context
import random
import time
import uuid
from typing import Any

import httpx

from bench._loadgen import FloodResult, RawHTTP, median, percentile, run_flood
from bench._measure import CPUS, CpuProbe, CpuWindow, raw_verify
from tests.integration._servers import LiveServer

PASSWORD = "bench-Password-7f3c"  # not on any blocklist; one password keeps setup cheap
ME_INTERVAL = 0.025
WARMUP_SECONDS = 1.0
# A phase during which others used more than this share of the cores is flagged as
# disturbed and does not count towards the best ratio (the build machines are shared).
DISTURBED_PCT = 10.0


def register(server: LiveServer, count: int) -> list[tuple[str, str]]:
    """Register ``count`` accounts (4 at a time) and return their credentials."""
    accounts = [(f"bench-{uuid.uuid4().hex[:10]}@example.test", PASSWORD) for _ in range(count)]

    def one(account: tuple[str, str]) -> None:
        with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
            response = client.post("/v1/users", json={"email": account[0], "password": PASSWORD})
            response.raise_for_status()

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(one, accounts))
    return accounts


def measure_raw(
    stored: str, seconds: float, ctx: multiprocessing.context.BaseContext
) -> dict[str, Any]:
    """One raw argon2id measurement on all cores."""
    raw: dict[str, Any] = raw_verify(stored, PASSWORD, seconds, ctx)
    print(
        f"   raw argon2id verify, {CPUS} processes: {raw['verify_per_s']:.1f}/s, "
        f"{raw['cpu_ms_per_verify']:.1f} ms CPU each, other load {raw['other_cpu_pct']:.0f}%",
        flush=True,
    )
    return raw


def flood(
    server: LiveServer,
    generator: concurrent.futures.Executor,
    accounts: list[tuple[str, str]],
    concurrency: int,
    *,
    duration: float,
    probes: dict[str, CpuProbe],
) -> dict[str, Any]:
    """One login flood at ``concurrency``, run by the generator process.

    ``ratio`` and ``cpu_efficiency`` are filled in by the caller once the raw rate is known.
    """
    window = CpuWindow.start(probes)
    result: FloodResult = generator.submit(
        run_flood, server.port, accounts, concurrency, duration
    ).result(timeout=duration + 120)
    shares = window.finish(result.generator_cpu_seconds)
    return {
        "concurrency": concurrency,
        "logins_per_s": result.rate,
        "p50_ms": percentile(result.latencies_ms, 0.50),
        "p99_ms": percentile(result.latencies_ms, 0.99),
        "statuses": {str(code): n for code, n in sorted(result.statuses.items())},
        # Compared with raw CPU per verify: 1.0 would mean hashing and nothing else.
        "service_cpu_ms_per_login": 1000 * shares["service_cpu_seconds"] / max(1, result.ok),
        "generator_cpu_ms_per_request": 1000
        * result.generator_cpu_seconds
        / max(1, sum(result.statuses.values())),
        "disturbed": shares["other_cpu_pct"] > DISTURBED_PCT,
        **{k: v for k, v in shares.items() if k.endswith("_pct")},
    }


def me_during_flood(
    server: LiveServer,
    generator: concurrent.futures.Executor,
    accounts: list[tuple[str, str]],
    concurrency: int,
    *,
    duration: float,
    probes: dict[str, CpuProbe],
) -> dict[str, Any]:
    """``GET /v1/me`` latency, probed from this process while the generator floods logins."""
    email, password = accounts[0]
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        response = client.post("/v1/sessions", json={"email": email, "password": password})
        response.raise_for_status()
        token = str(response.json()["access_token"])
    window = CpuWindow.start(probes)
    future = generator.submit(run_flood, server.port, accounts[1:], concurrency, duration)
    latencies, statuses = asyncio.run(_probe_me(server.port, token, duration))
    result: FloodResult = future.result(timeout=duration + 120)
    shares = window.finish(result.generator_cpu_seconds)
    return {
        "flood_concurrency": concurrency,
        "flood_logins_per_s": result.rate,
        "requests": len(latencies),
        "statuses": statuses,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        **{k: v for k, v in shares.items() if k.endswith("_pct")},
    }


async def _probe_me(port: int, token: str, duration: float) -> tuple[list[float], dict[str, int]]:
    """Sequential ``GET /v1/me`` every 25 ms, after the flood has had a second to ramp up."""
    await asyncio.sleep(WARMUP_SECONDS)
    client = RawHTTP(port)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    deadline = time.perf_counter() + duration - 2 * WARMUP_SECONDS
    try:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            status, _ = await client.request("GET", "/v1/me", token=token)
            latencies.append((time.perf_counter() - start) * 1000)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            await asyncio.sleep(ME_INTERVAL)
    finally:
        await client.close()
    return latencies, statuses


def failure_timing(
    port: int, accounts: list[tuple[str, str]], rounds: int, probes: dict[str, CpuProbe]
) -> dict[str, Any]:
    """Interleaved sequential samples of success, unknown account and wrong password.

    Each round uses one account for both its success and its wrong password, in random
    order, so no account's failure counter nears the lockout threshold.
    """
    window = CpuWindow.start(probes)
    samples, unexpected = asyncio.run(_failure_samples(port, accounts, rounds))
    shares = window.finish(0.0)
    success = median(samples["success"])
    unknown, wrong = median(samples["unknown"]), median(samples["wrong"])
    return {
        "rounds": rounds,
        "unexpected_statuses": unexpected,
        "success_median_ms": success,
        "unknown_median_ms": unknown,
        "wrong_median_ms": wrong,
        "unknown_delta_pct": 100 * (unknown / success - 1),
        "wrong_delta_pct": 100 * (wrong / success - 1),
        "other_cpu_pct": shares["other_cpu_pct"],
    }


async def _failure_samples(
    port: int, accounts: list[tuple[str, str]], rounds: int
) -> tuple[dict[str, list[float]], int]:
    client = RawHTTP(port)
    samples: dict[str, list[float]] = {"success": [], "unknown": [], "wrong": []}
    unexpected = 0
    rng = random.Random(1234)
    try:
        for index in range(rounds + 3):  # the first three rounds warm up and are discarded
            email, password = accounts[index % len(accounts)]
            bodies = {
                "success": {"email": email, "password": password},
                "unknown": {
                    "email": f"nobody-{uuid.uuid4().hex}@example.test",
                    "password": password,
                },
                "wrong": {"email": email, "password": password + "x"},
            }
            kinds = list(bodies)
            rng.shuffle(kinds)
            for kind in kinds:
                start = time.perf_counter()
                status, _ = await client.request("POST", "/v1/sessions", bodies[kind])
                elapsed = (time.perf_counter() - start) * 1000
                unexpected += status != (200 if kind == "success" else 401)
                if index >= 3:
                    samples[kind].append(elapsed)
    finally:
        await client.close()
    return samples, unexpected
