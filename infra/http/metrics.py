"""Prometheus metrics of an HTTP service: requests by route template and status, and commands by
type and outcome.

Each app owns a ``CollectorRegistry`` (rather than the process-global one) so tests can build
many apps in one process without duplicate-metric errors. Its ``/metrics`` page also shows the
process-wide families of what the service uses underneath (``infra.metric_families.SHARED``:
the business metrics, the event store's appends and availability, Redis signals, the process's
CPU, memory and file descriptors, Python's garbage collector), and only those.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from infra.metric_families import process_registry

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetrics:
    """The metrics one HTTP service exposes on ``/metrics``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.requests = Counter(
            "ledgerline_http_requests",
            "HTTP requests served, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_latency = Histogram(
            "ledgerline_http_request_duration_seconds",
            "HTTP request latency, by method, route template and status.",
            ["method", "route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.commands = Counter(
            "ledgerline_commands",
            "Commands executed, by command type and outcome (ok, replayed or an error code).",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.command_latency = Histogram(
            "ledgerline_command_duration_seconds",
            "Command execution latency, by command type.",
            ["command"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request."""
        key = (method, route, status)
        children = self._request_children.get(key)
        if children is None:
            # labels() builds and looks up its key under a lock on every call; a service has a
            # few dozen (method, route, status) combinations, so keep their children at hand.
            labels = {"method": method, "route": route, "status": str(status)}
            children = self._request_children[key] = (
                self.requests.labels(**labels),
                self.request_latency.labels(**labels),
            )
        count, latency = children
        count.inc()
        latency.observe(seconds)

    def observe_command(self, command: str, outcome: str, seconds: float) -> None:
        """Count one executed command."""
        self.commands.labels(command=command, outcome=outcome).inc()
        self.command_latency.labels(command=command).observe(seconds)

    def render(self) -> bytes:
        """The app's registry and the shared process-wide families, in the Prometheus text
        exposition format."""
        return generate_latest(self.registry) + generate_latest(_SHARED)


_SHARED = process_registry(())
