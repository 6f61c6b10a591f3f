"""Whether this process can use the event store: ``ledgerline_event_store_up`` (1 when the last
borrowed connection worked, 0 when PostgreSQL did not answer or the pool had no connection to
give) and ``ledgerline_event_store_unavailable_total`` (how often it did not), kept by
``EventStore.connection``, through which every use of the store passes.

The gauge has no sample until the process has used the store once, so a process that never
touches it (or has not yet) cannot look like one that lost it. It is a last-known state: an idle
process keeps its last value, which is why the alert (``infra/prometheus/alerts.yml``) also asks
for a recent failure; the relay reads the store every 100 ms while idle, so its view is current.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from prometheus_client import REGISTRY, Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

UP = "ledgerline_event_store_up"
UNAVAILABLE = Counter(
    "ledgerline_event_store_unavailable",
    "Uses of the event store that failed because PostgreSQL did not answer or no pooled "
    "connection was free in time.",
)


class _Availability(Collector):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._up: bool | None = None

    def record(self, up: bool) -> None:
        with self._lock:
            self._up = up

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            UP, "1 if the last use of the event store worked, 0 if PostgreSQL was unavailable."
        )
        with self._lock:
            up = self._up
        if up is not None:
            family.add_metric([], 1.0 if up else 0.0)
        yield family


_AVAILABILITY = _Availability()
REGISTRY.register(_AVAILABILITY)


def record_available() -> None:
    _AVAILABILITY.record(True)


def record_unavailable() -> None:
    _AVAILABILITY.record(False)
    UNAVAILABLE.inc()
