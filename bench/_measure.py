"""CPU accounting for the login benchmark: the raw argon2id rate and who used the cores.

The build machines are shared, so a benchmark phase records machine-wide CPU use next to the
service's and the load generator's; what is left ("other") is load the benchmark did not
cause, and a phase measured under it says so. :func:`wait_for_quiet` holds a phase back
(boundedly) until that background load has settled.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing.context
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CPUS = os.cpu_count() or 1


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent not idle since boot (``/proc/stat``)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


#: A named source of CPU seconds used so far (the service's process tree, the database's).
CpuProbe = Callable[[], float]


@dataclass
class CpuWindow:
    """Machine CPU over one phase, split by who used it; open with :meth:`start`."""

    probes: dict[str, CpuProbe]
    wall_start: float
    busy_start: float
    probe_start: dict[str, float]

    @classmethod
    def start(cls, probes: dict[str, CpuProbe]) -> CpuWindow:
        """Begin a phase, reading each probe's CPU seconds so far."""
        return cls(
            probes,
            time.perf_counter(),
            machine_busy_seconds(),
            {name: probe() for name, probe in probes.items()},
        )

    def finish(self, generator_cpu: float) -> dict[str, float]:
        """CPU seconds per probe and shares of all cores (in %) for each, the generator's
        (measured by the generator itself) and everyone else's ("other")."""
        wall = time.perf_counter() - self.wall_start
        capacity = wall * CPUS
        busy = machine_busy_seconds() - self.busy_start
        used = {name: probe() - self.probe_start[name] for name, probe in self.probes.items()}
        shares = {"wall_seconds": wall, "generator_cpu_pct": 100 * generator_cpu / capacity}
        for name, seconds in used.items():
            shares[f"{name}_cpu_seconds"] = seconds
            shares[f"{name}_cpu_pct"] = 100 * seconds / capacity
        other = busy - generator_cpu - sum(used.values())
        shares["other_cpu_pct"] = max(0.0, 100 * other / capacity)
        return shares


def background_load(seconds: float = 1.0) -> float:
    """Machine CPU use over ``seconds``, in percent of all cores (the caller being idle)."""
    before = machine_busy_seconds()
    time.sleep(seconds)
    return 100 * (machine_busy_seconds() - before) / (seconds * CPUS)


def wait_for_quiet(max_wait: float, threshold_pct: float = 10.0) -> float:
    """Wait (at most ``max_wait`` s) until background load is under the threshold; return it."""
    deadline = time.monotonic() + max_wait
    load = background_load()
    while load > threshold_pct and time.monotonic() < deadline:
        print(f"   (waiting: background CPU load {load:.0f}%)", flush=True)
        load = background_load(2.0)
    return load


def _verify_loop(stored: str, password: str, seconds: float) -> tuple[int, float, float]:
    """Verify ``stored`` for ``seconds``: (count, wall seconds, CPU seconds of this process)."""
    hasher = PasswordHasher()
    count = 0
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        hasher.verify(stored, password)
        count += 1
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return count, elapsed, cpu


def raw_verify(
    stored: str, password: str, seconds: float, ctx: multiprocessing.context.BaseContext
) -> dict[str, float]:
    """The verify rate of ``stored`` with one process per core, all cores at once."""
    with concurrent.futures.ProcessPoolExecutor(CPUS, mp_context=ctx) as pool:
        # Start the processes first, so their start-up is not in the window.
        list(pool.map(abs, range(CPUS)))
        window = CpuWindow.start({})
        futures = [pool.submit(_verify_loop, stored, password, seconds) for _ in range(CPUS)]
        results = [future.result() for future in futures]
    count = sum(r[0] for r in results)
    cpu = sum(r[2] for r in results)
    shares = window.finish(cpu)
    return {
        "verify_per_s": sum(r[0] / r[1] for r in results),
        "cpu_ms_per_verify": 1000 * cpu / max(1, count),
        "other_cpu_pct": shares["other_cpu_pct"],
    }
