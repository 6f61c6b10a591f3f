"""The local Jaeger: takes spans over OTLP and shows them through its query API, listens on
127.0.0.1 only, on the ports it was given, and nowhere else."""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from typing import Any

import psutil

from infra.servers import JaegerServer
from tests.polling import wait_for


def _export_span(server: JaegerServer, service: str, trace_id: str, name: str) -> None:
    """One span, sent as OTLP/HTTP JSON (what an OpenTelemetry exporter sends, minus protobuf)."""
    now = time.time_ns()
    body = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": service}}]
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "tests.observability"},
                        "spans": [
                            {
                                "traceId": trace_id,
                                "spanId": secrets.token_hex(8),
                                "name": name,
                                "kind": 2,
                                "startTimeUnixNano": str(now - 5_000_000),
                                "endTimeUnixNano": str(now),
                            }
                        ],
                    }
                ],
            }
        ]
    }
    request = urllib.request.Request(
        f"{server.otlp_http_endpoint}/v1/traces",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def _trace(server: JaegerServer, trace_id: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"{server.url}/api/traces/{trace_id}", timeout=5) as response:
            traces: list[dict[str, Any]] = json.load(response)["data"]
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise
    return traces[0] if traces else None


def test_a_span_sent_over_otlp_is_found_through_the_query_api(
    jaeger_server: JaegerServer,
) -> None:
    service = f"test-{secrets.token_hex(4)}"
    trace_id = secrets.token_hex(16)

    _export_span(jaeger_server, service, trace_id, "deposit")

    trace = wait_for(lambda: _trace(jaeger_server, trace_id), 10, what="the exported trace")
    assert [span["operationName"] for span in trace["spans"]] == ["deposit"]
    [process] = trace["processes"].values()
    assert process["serviceName"] == service
    with urllib.request.urlopen(f"{jaeger_server.url}/api/services", timeout=5) as response:
        assert service in json.load(response)["data"]


def test_it_listens_on_its_four_ports_on_127_0_0_1_only(jaeger_server: JaegerServer) -> None:
    pid = jaeger_server.pid()
    assert pid is not None
    listening = {
        (connection.laddr.ip, connection.laddr.port)
        for connection in psutil.Process(pid).net_connections(kind="inet")
        if connection.status == psutil.CONN_LISTEN
    }
    assert listening == {("127.0.0.1", port) for port in jaeger_server.ports()}
    status = jaeger_server.status()
    assert status.running and status.ready and status.address == jaeger_server.url
