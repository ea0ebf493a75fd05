"""Read the login counter from Prometheus's HTTP query API instead of ``/metrics``.

One instant query per version, ``METRIC{selector}``, returns every matching series (one per
replica and outcome). The series are grouped by their labels other than the outcome label, so
each group is one replica's counters by outcome, which the watch follows like one ``/metrics``
scrape: a counter that goes down is that replica restarting. Raw counters rather than
``increase()`` keep the counts exact (no extrapolation) and count a series first seen during the
watch from its first value on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import httpx

from quality_gates.canary.metrics import ScrapeError

#: Replica (label set without the outcome) -> counts by outcome.
Groups = dict[str, dict[str, float]]


class QueryError(Exception):
    """Prometheus answered, but refused the query (a PromQL error) or sent no query result."""


def query_text(metric: str, selector: str) -> str:
    """``authsvc_login_attempts_total{track="canary"}`` from the metric and its matchers."""
    return f"{metric}{selector}"


def _answer(response: httpx.Response, where: str) -> Mapping[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not isinstance(body, Mapping) or body.get("status") not in ("success", "error"):
        if response.status_code >= 500:
            raise ScrapeError(f"{where}: HTTP {response.status_code}")
        raise QueryError(
            f"{where}: not a Prometheus query API answer (HTTP {response.status_code})"
        )
    if body["status"] == "error":
        kind = body.get("errorType", "error")
        message = " ".join(str(body.get("error", "no message")).split())
        if response.status_code >= 500 and kind in ("timeout", "canceled", "internal"):
            raise ScrapeError(f"{where}: {kind}: {message}")
        raise QueryError(f"{where}: {kind}: {message}")
    return body


def _value(item: Mapping[str, Any], where: str) -> float:
    try:
        value = float(item["value"][1])
    except (KeyError, IndexError, TypeError, ValueError):
        raise QueryError(f"{where}: a series without a number value") from None
    if not math.isfinite(value) or value < 0:
        raise QueryError(f"{where}: a counter of {value}, not a count")
    return value


def parse_vector(body: Mapping[str, Any], label: str, where: str) -> Groups | None:
    """An instant-vector answer grouped by replica; ``None`` when no series matched."""
    data = body.get("data")
    if not isinstance(data, Mapping) or data.get("resultType") != "vector":
        raise QueryError(f"{where}: expected an instant vector, got {data!r:.80}")
    result = data.get("result")
    if not isinstance(result, list):
        raise QueryError(f"{where}: no result list in the answer")
    if not result:
        return None
    groups: Groups = {}
    for item in result:
        labels = item.get("metric") if isinstance(item, Mapping) else None
        if not isinstance(labels, Mapping):
            raise QueryError(f"{where}: a series without labels")
        replica = ",".join(
            f"{key}={labels[key]}" for key in sorted(labels) if key not in (label, "__name__")
        )
        outcome = str(labels.get(label, ""))
        counts = groups.setdefault(replica, {})
        counts[outcome] = counts.get(outcome, 0.0) + _value(item, where)
    return groups


def query(client: httpx.Client, base_url: str, promql: str, label: str) -> Groups | None:
    """Ask ``base_url``/api/v1/query for ``promql`` now; group the series by replica.

    Raises :class:`ScrapeError` when Prometheus does not answer (worth retrying) and
    :class:`QueryError` when it refuses the query (it will refuse it again).
    """
    target = base_url.rstrip("/") + "/api/v1/query"
    where = f"Prometheus {base_url}, query {promql}"
    try:
        response = client.get(target, params={"query": promql})
    except httpx.HTTPError as exc:
        raise ScrapeError(f"Prometheus {base_url}: {type(exc).__name__}") from None
    return parse_vector(_answer(response, where), label, where)
