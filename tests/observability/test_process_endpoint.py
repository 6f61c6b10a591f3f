"""The relay's and projectors' HTTP endpoint: metrics, liveness, readiness."""

from __future__ import annotations

import urllib.error
import urllib.request

from prometheus_client import CollectorRegistry, Counter

# The three processes' modules declare their metric families when imported.
import projections.notifier.service
import projections.process
import projections.relay_process  # noqa: F401
from infra.metric_families import NOTIFIER, PROJECTOR, RELAY, process_registry
from infra.process_http import ProcessEndpoint


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_endpoint_serves_metrics_liveness_and_readiness() -> None:
    registry = CollectorRegistry()
    Counter("ledgerline_test_things", "Things.", registry=registry).inc(3)
    healthy = {"ok": True}

    def ready() -> None:
        if not healthy["ok"]:
            raise ConnectionError("kafka does not answer")

    endpoint = ProcessEndpoint("127.0.0.1", 0, ready, registry).start()
    try:
        status, body = _get(endpoint.port, "/metrics")
        assert status == 200 and "ledgerline_test_things_total 3.0" in body
        assert _get(endpoint.port, "/health/live")[0] == 200
        assert _get(endpoint.port, "/health/ready")[0] == 200
        healthy["ok"] = False
        status, body = _get(endpoint.port, "/health/ready")
        assert status == 503 and "kafka does not answer" in body
        assert _get(endpoint.port, "/nowhere")[0] == 404
    finally:
        endpoint.close()


def test_each_kind_of_process_exports_only_its_own_families() -> None:
    def families(owned: tuple[str, ...]) -> set[str]:
        return {family.name for family in process_registry(owned).collect()}

    relay, projector, notifier = families(RELAY), families(PROJECTOR), families(NOTIFIER)
    assert "ledgerline_relay_lag_events" in relay
    assert "ledgerline_projector_lag_events" in projector
    assert "ledgerline_webhook_attempts" in notifier
    for exported, foreign in ((relay, "projector"), (projector, "relay"), (notifier, "relay")):
        assert not any(name.startswith(f"ledgerline_{foreign}_") for name in exported)
    # What every process uses underneath is in all three.
    assert {
        "ledgerline_event_store_up",
        "process_cpu_seconds",
    } <= relay & projector & notifier
