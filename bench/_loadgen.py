"""A lean HTTP/1.1 load generator for the login benchmark.

The generator shares the machine's two cores with the service, so every millisecond of CPU it
spends per request is a millisecond the service cannot hash with. It therefore speaks just
enough HTTP/1.1 over asyncio streams (pre-encoded requests on keep-alive connections, responses
framed by Content-Length) instead of a full client: an order of magnitude less CPU per request
than httpx. It runs in its own process (:func:`run_flood`) so that a latency probe in the
parent is never delayed by the generator's event loop, and reports its own CPU time.
"""

from __future__ import annotations

import asyncio
import json
import math
import resource
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import uvloop

HOST = "127.0.0.1"
IO_TIMEOUT = 30.0


class RawHTTP:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1; reconnects when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def close(self) -> None:
        """Close the connection, if open."""
        if self._stream is not None:
            self._stream[1].close()
            self._stream = None

    async def request(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, bytes]:
        """Send one request and return (status, body); JSON-encodes ``body``."""
        payload = b"" if body is None else json.dumps(body).encode()
        head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        if body is not None:
            head.append("Content-Type: application/json")
        if token is not None:
            head.append(f"Authorization: Bearer {token}")
        head.append(f"Content-Length: {len(payload)}")
        return await self.send(("\r\n".join(head) + "\r\n\r\n").encode() + payload)

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        """Send pre-encoded request bytes and read one response."""
        if self._stream is None:
            self._stream = await asyncio.wait_for(
                asyncio.open_connection(HOST, self.port), IO_TIMEOUT
            )
        reader, writer = self._stream
        writer.write(raw)
        # One timeout scope per response: wait_for() would wrap each read in a task.
        async with asyncio.timeout(IO_TIMEOUT):
            head = await reader.readuntil(b"\r\n\r\n")
            status, length, close = _parse_head(head)
            content = await reader.readexactly(length)
        if close:
            await self.close()
        return status, content


def _parse_head(head: bytes) -> tuple[int, int, bool]:
    """Status, Content-Length and whether the server closes, from a response head."""
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" not in headers:
        raise RuntimeError(f"response without Content-Length: {headers}")
    close = headers.get("connection", "").lower() == "close"
    return status, int(headers["content-length"]), close


def login_request(port: int, email: str, password: str) -> bytes:
    """The pre-encoded bytes of ``POST /v1/sessions``."""
    payload = json.dumps({"email": email, "password": password}).encode()
    head = (
        f"POST /v1/sessions HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


@dataclass
class FloodResult:
    """What one flood measured: latencies of successful logins and the generator's cost."""

    concurrency: int
    wall_seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    generator_cpu_seconds: float = 0.0

    @property
    def ok(self) -> int:
        """Number of 200 responses."""
        return self.statuses.get(200, 0)

    @property
    def rate(self) -> float:
        """Successful logins per second."""
        return self.ok / self.wall_seconds if self.wall_seconds else 0.0


def run_flood(
    port: int, accounts: list[tuple[str, str]], concurrency: int, duration: float
) -> FloodResult:
    """Log in as fast as possible from ``concurrency`` connections for ``duration`` seconds.

    Each connection cycles through its own share of the accounts, so no two connections race
    on one account's throttle row. Runs in a child process (a picklable top-level function).
    """
    # uvloop (the service's own loop, installed with uvicorn[standard]) wakes up for
    # each response with fewer system calls than asyncio's default loop.
    return uvloop.run(_flood(port, accounts, concurrency, duration))


async def _flood(
    port: int, accounts: list[tuple[str, str]], concurrency: int, duration: float
) -> FloodResult:
    requests = [login_request(port, email, password) for email, password in accounts]
    result = FloodResult(concurrency, 0.0)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    deadline = start + duration

    async def worker(index: int) -> None:
        client = RawHTTP(port)
        mine = requests[index::concurrency] or requests
        try:
            i = 0
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                status, _ = await client.send(mine[i % len(mine)])
                i += 1
                result.statuses[status] += 1
                if status == 200:
                    result.latencies_ms.append((time.perf_counter() - sent) * 1000)
        finally:
            await client.close()

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    result.wall_seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    result.generator_cpu_seconds = (after.ru_utime - usage.ru_utime) + (
        after.ru_stime - usage.ru_stime
    )
    return result


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in 0..1); NaN when there are no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    """The median; NaN when there are no values."""
    return statistics.median(values) if values else float("nan")
