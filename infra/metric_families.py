"""Which Prometheus metric families each kind of process exports on its ``/metrics``.

The modules that own a family declare it at import time in prometheus_client's process-global
registry, and a process imports more modules than it runs: the CLI entry point reaches the
relay, the projectors and the notifier from every command. Exporting the global registry whole
would have a write API report a relay lag of 0, and an alert on "relay lag" would need to know
which scrape job is the real relay (a job name differs between the local stack, a Helm release
and someone's own Prometheus). So every process exports the shared families (``SHARED``: what
any process uses underneath) plus the prefixes of what it runs, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

SHARED = (
    "ledgerline_business_",
    "ledgerline_event_store_",
    "ledgerline_redis_",
    "process_",
    "python_",
)
RELAY = ("ledgerline_relay_",)
PROJECTOR = ("ledgerline_projector_",)
NOTIFIER = ("ledgerline_notifier_", "ledgerline_webhook_", "ledgerline_mails")
REBUILD = ("ledgerline_rebuild_",)


class PrefixedFamilies(Collector):
    """The global registry's families whose names start with one of `prefixes`."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self.prefixes = prefixes

    def collect(self) -> Iterator[Metric]:
        for family in REGISTRY.collect():
            if family.name.startswith(self.prefixes):
                yield family


def process_registry(owned: tuple[str, ...]) -> CollectorRegistry:
    """A registry showing the shared families and those starting with `owned`."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PrefixedFamilies(SHARED + owned))
    return registry
