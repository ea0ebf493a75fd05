"""Targets, terminal lines and the Markdown report of the login benchmark."""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

# From issue 2: a 2-core machine, default argon2id parameters, one plain `authsvc serve`.
TARGETS = {"ratio": 0.9, "me_p50_ms": 10.0, "failure_delta_pct": 5.0, "peak_rss_mb": 300.0}


def missed_targets(run: dict[str, Any]) -> list[str]:
    """The names of the targets one database's run missed."""
    timing = run["failure_timing"]
    delta = max(abs(timing["unknown_delta_pct"]), abs(timing["wrong_delta_pct"]))
    checks = {
        "ratio": run["best_ratio"] >= TARGETS["ratio"],
        "me_p50_ms": run["me_during_flood"]["p50_ms"] <= TARGETS["me_p50_ms"],
        "failure_delta_pct": delta <= TARGETS["failure_delta_pct"],
        "peak_rss_mb": run["peak_rss_mb"] < TARGETS["peak_rss_mb"],
    }
    return [name for name, ok in checks.items() if not ok]


def _cpu_split(phase: dict[str, Any]) -> str:
    """``service 95%, database 3%, generator 1.1%, other 1%`` (database only for PostgreSQL)."""
    database = f"database {phase['database_cpu_pct']:.0f}%, " if "database_cpu_pct" in phase else ""
    return (
        f"service {phase['service_cpu_pct']:.0f}%, {database}"
        f"generator {phase['generator_cpu_pct']:.1f}%, other {phase['other_cpu_pct']:.0f}%"
    )


def level_line(level: dict[str, Any]) -> str:
    """One concurrency level on one line."""
    return (
        f"c={level['concurrency']:>2}: {level['logins_per_s']:6.1f} logins/s "
        f"(ratio {level['ratio']:.2f}), p50 {level['p50_ms']:.1f} ms, "
        f"p99 {level['p99_ms']:.1f} ms; {level['service_cpu_ms_per_login']:.1f} ms CPU/login "
        f"(efficiency {level['cpu_efficiency']:.2f}); CPU {_cpu_split(level)}; "
        f"statuses {level['statuses']}{'  [DISTURBED]' if level['disturbed'] else ''}"
    )


def print_run(run: dict[str, Any]) -> None:
    """A short human-readable summary of one database's run."""
    me, timing = run["me_during_flood"], run["failure_timing"]
    note = f" ({run['best_ratio_note']})" if run["best_ratio_note"] else ""
    print(
        f"   best ratio {run['best_ratio']:.2f}{note}, best CPU efficiency "
        f"{run['best_cpu_efficiency']:.2f}\n"
        f"   /v1/me during a c={me['flood_concurrency']} flood "
        f"({me['flood_logins_per_s']:.1f} logins/s): p50 {me['p50_ms']:.1f} ms, "
        f"p99 {me['p99_ms']:.1f} ms over {me['requests']} requests {me['statuses']}; "
        f"CPU {_cpu_split(me)}\n"
        f"   medians: success {timing['success_median_ms']:.1f} ms, unknown "
        f"{timing['unknown_median_ms']:.1f} ms ({timing['unknown_delta_pct']:+.1f}%), wrong "
        f"{timing['wrong_median_ms']:.1f} ms ({timing['wrong_delta_pct']:+.1f}%); "
        f"{timing['unexpected_statuses']} unexpected statuses\n"
        f"   peak RSS {run['peak_rss_mb']:.0f} MB; missed: {', '.join(run['missed']) or 'none'}",
        flush=True,
    )


def markdown(results: dict[str, Any]) -> str:
    """The results as a Markdown report."""
    machine = results["machine"]
    lines = [
        "## authsvc login benchmark",
        "",
        f"Command: `{results['command']}`",
        "",
        f"Machine: {machine['cpus']} cores, {machine['cpu']}, Python {machine['python']}; "
        f"`authsvc serve --workers {results['settings']['workers']}` with the defaults plus "
        f"`{results['settings']['env']}`.",
        "",
        "CPU shares are of all cores over the phase; *other* is load the benchmark did not "
        "cause (the machine is shared), and a level with more than 10% of it is marked "
        "*disturbed*.",
        "",
        "| database | concurrency | logins/s | ratio to raw | p50 ms | p99 ms | CPU ms/login "
        "| CPU efficiency | service CPU | database CPU | generator CPU | other CPU | statuses |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| --- |",
    ]
    for run in results["runs"]:
        for level in run["levels"]:
            database = level.get("database_cpu_pct")
            lines.append(
                f"| {run['database']} | {level['concurrency']} | {level['logins_per_s']:.1f} | "
                f"{level['ratio']:.2f} | {level['p50_ms']:.1f} | {level['p99_ms']:.1f} | "
                f"{level['service_cpu_ms_per_login']:.1f} | {level['cpu_efficiency']:.2f} | "
                f"{level['service_cpu_pct']:.0f}% | "
                f"{'-' if database is None else f'{database:.0f}%'} | "
                f"{level['generator_cpu_pct']:.1f}% | {level['other_cpu_pct']:.0f}%"
                f"{' (disturbed)' if level['disturbed'] else ''} | {level['statuses']} |"
            )
    lines += [
        "",
        "| database | argon2id | raw verify/s (all cores) | raw CPU ms/verify | best ratio | "
        "/v1/me p50 / p99 ms during flood | success / unknown / wrong median ms | "
        "peak RSS MB | missed |",
        "| --- | --- | ---: | ---: | ---: | --- | --- | ---: | --- |",
    ]
    for run in results["runs"]:
        me, timing, a2, raw = (
            run["me_during_flood"],
            run["failure_timing"],
            run["argon2"],
            run["raw"],
        )
        note = f" ({run['best_ratio_note']})" if run["best_ratio_note"] else ""
        lines.append(
            f"| {run['database']} | m={a2['m']},t={a2['t']},p={a2['p']} | "
            f"{raw['verify_per_s']:.1f} | {raw['cpu_ms_per_verify']:.1f} | "
            f"{run['best_ratio']:.2f}{note} | "
            f"{me['p50_ms']:.1f} / {me['p99_ms']:.1f} | "
            f"{timing['success_median_ms']:.1f} / {timing['unknown_median_ms']:.1f} "
            f"({timing['unknown_delta_pct']:+.1f}%) / {timing['wrong_median_ms']:.1f} "
            f"({timing['wrong_delta_pct']:+.1f}%) | {run['peak_rss_mb']:.0f} | "
            f"{', '.join(run['missed']) or 'none'} |"
        )
    return "\n".join(lines) + "\n"


def cpu_model() -> str:
    """The CPU's model name."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
