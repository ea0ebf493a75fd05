"""Scrape ``/metrics`` and follow one counter by outcome label, as deltas since the start.

Counters are summed over every other label (instances, workers). A value that goes down means
the process restarted and its counter began again at zero: the new value is all new counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families


class ScrapeError(Exception):
    """``/metrics`` did not answer, or not with Prometheus text; the message says which."""


def parse_counts(text: str, metric: str, label: str) -> dict[str, float] | None:
    """Sum ``metric`` by the value of ``label``; ``None`` when the metric is absent."""
    names = {metric, f"{metric}_total"}
    found: dict[str, float] | None = None
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name not in names:
                    continue
                found = {} if found is None else found
                key = sample.labels.get(label, "")
                found[key] = found.get(key, 0.0) + float(sample.value)
    except (ValueError, TypeError, IndexError) as exc:
        raise ScrapeError(f"not Prometheus text: {type(exc).__name__}") from None
    return found


def scrape(client: httpx.Client, url: str, metric: str, label: str) -> dict[str, float] | None:
    """GET ``url``/metrics and :func:`parse_counts` it."""
    target = url.rstrip("/") + "/metrics"
    try:
        response = client.get(target)
    except httpx.HTTPError as exc:
        raise ScrapeError(f"{target}: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise ScrapeError(f"{target}: HTTP {response.status_code}")
    return parse_counts(response.text, metric, label)


@dataclass
class CounterTrack:
    """Deltas of one labelled counter since the first observation."""

    last: dict[str, float] | None = None
    total: dict[str, float] = field(default_factory=dict)

    def observe(self, counts: dict[str, float]) -> None:
        """Fold in a new scrape."""
        if self.last is None:
            self.last = dict(counts)
            return
        for key, value in counts.items():
            before = self.last.get(key, 0.0)
            # A drop is a restart: the counter started again from zero.
            delta = value - before if value >= before else value
            self.total[key] = self.total.get(key, 0.0) + delta
        self.last = dict(counts)
