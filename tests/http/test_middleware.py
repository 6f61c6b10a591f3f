"""Correlation ids, access logs, health and metrics of the shared middleware."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from infra.settings import Settings
from tests.http.conftest import build_tiny_app


def test_a_sane_correlation_id_is_echoed_and_bound_to_the_logs(client: TestClient) -> None:
    response = client.get("/context", headers={"X-Correlation-ID": "order-42/retry-1"})
    assert response.headers["x-correlation-id"] == "order-42/retry-1"
    assert response.json() == {"correlation_id": "order-42/retry-1", "bound": "order-42/retry-1"}


def test_a_missing_correlation_id_is_generated(client: TestClient) -> None:
    response = client.get("/context")
    generated = response.headers["x-correlation-id"]
    assert uuid.UUID(generated).version == 4
    assert response.json()["correlation_id"] == generated


@pytest.mark.parametrize(
    "offered",
    [pytest.param("x" * 129, id="too long"), pytest.param("has space", id="not visible ascii")],
)
def test_an_insane_correlation_id_is_replaced(client: TestClient, offered: str) -> None:
    response = client.get("/context", headers={"X-Correlation-ID": offered})
    assert uuid.UUID(response.headers["x-correlation-id"])


def test_each_request_logs_one_access_line(client: TestClient) -> None:
    with capture_logs() as logs:
        client.get("/items/not-a-uuid", headers={"X-Correlation-ID": "c-1"})
    [line] = [entry for entry in logs if entry["event"] == "http_request"]
    assert line["method"] == "GET"
    assert line["path"] == "/items/not-a-uuid"
    assert line["route"] == "/items/{item_id}"
    assert line["status"] == 422
    assert line["duration_ms"] >= 0


def test_the_correlation_id_is_not_left_bound_after_the_request(client: TestClient) -> None:
    import structlog

    client.get("/context", headers={"X-Correlation-ID": "leak-check"})
    assert structlog.contextvars.get_contextvars().get("correlation_id") != "leak-check"


def test_liveness_is_always_ok(client: TestClient) -> None:
    assert client.get("/health/live").status_code == 200


@pytest.mark.parametrize("async_check", [False, True], ids=["blocking check", "async check"])
def test_readiness_follows_the_check(settings: Settings, async_check: bool) -> None:
    with TestClient(build_tiny_app(settings, ready=True, async_check=async_check)) as client:
        assert client.get("/health/ready").status_code == 200
    with TestClient(build_tiny_app(settings, ready=False, async_check=async_check)) as client:
        response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"]


def test_metrics_count_requests_by_route_template_and_status(client: TestClient) -> None:
    client.get(f"/items/{uuid.uuid4()}")
    client.get(f"/items/{uuid.uuid4()}")
    client.get("/no/such/path")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert (
        'ledgerline_http_requests_total{method="GET",route="/items/{item_id}",status="200"} 2.0'
        in text
    )
    assert 'route="unmatched",status="404"' in text
    assert "ledgerline_http_request_duration_seconds_bucket" in text
