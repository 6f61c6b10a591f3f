"""Tracing is off unless configured, and then costs nothing: no SDK, no instrumentation, no
trace ids in logs; on, log lines name their trace. Each case runs in a process of its own, as
a Ledgerline process starts (tracing is global to a process). Also the pure parts: what a
traceparent may say, and what the exporter leaves of a span."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import SpanContext, Status, StatusCode

from infra.servers import JaegerServer
from infra.tracing import setup
from infra.tracing.propagation import sampled_parent
from infra.tracing.redaction import redact_span, redact_url

REPOSITORY = Path(__file__).resolve().parents[2]

# A process's start as the CLI does it (logging, then tracing), then one log line from structlog
# and one from the standard library inside a request span; prints what it found.
_PROCESS = textwrap.dedent(
    """
    import json, logging, sys
    import structlog
    from opentelemetry import trace
    from opentelemetry.trace import SpanKind
    from infra.logging import configure_logging
    from infra.settings import Settings
    from infra.tracing import configure_tracing, tracing_enabled

    settings = Settings(tracing_endpoint=sys.argv[1] or None, log_format="json")
    configure_logging("INFO", "json", trace_ids=settings.tracing_on)
    tracing = configure_tracing(settings, "unit")
    with trace.get_tracer("test").start_as_current_span("GET /", kind=SpanKind.SERVER) as span:
        structlog.get_logger("test").info("from_structlog")
        logging.getLogger("test").warning("from_stdlib")
        context = span.get_span_context()
    tracing.shutdown()
    print(json.dumps({
        "enabled": tracing_enabled(),
        "provider": type(trace.get_tracer_provider()).__name__,
        "sdk_loaded": "opentelemetry.sdk.trace" in sys.modules,
        "instrumented": any(m.startswith("opentelemetry.instrumentation") for m in sys.modules),
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
    }))
    """
)


def _run(endpoint: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(what the process reported, its JSON log lines)."""
    completed = subprocess.run(
        [sys.executable, "-c", _PROCESS, endpoint],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPOSITORY,
        check=True,
    )
    lines = []
    for line in completed.stderr.splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return json.loads(completed.stdout), lines


def test_without_an_endpoint_no_provider_is_installed_and_logs_carry_no_trace_ids() -> None:
    report, lines = _run("")

    assert report["enabled"] is False
    assert report["provider"] == "ProxyTracerProvider"  # the API's no-op default
    assert report["sdk_loaded"] is False
    assert report["instrumented"] is False
    assert report["trace_id"] == "0" * 32  # the no-op span
    logged = [line for line in lines if line["event"] in ("from_structlog", "from_stdlib")]
    assert len(logged) == 2
    assert all("trace_id" not in line and "span_id" not in line for line in logged)


def test_with_an_endpoint_log_lines_carry_the_trace_and_span_ids(
    jaeger_server: JaegerServer,
) -> None:
    report, lines = _run(jaeger_server.otlp_http_endpoint)

    assert report["enabled"] is True
    # The SDK's provider, behind the fast path for spans outside a sampled trace.
    assert report["provider"] == "SampledOnlyTracerProvider"
    assert report["instrumented"] is True
    logged = [line for line in lines if line["event"] in ("from_structlog", "from_stdlib")]
    assert len(logged) == 2
    for line in logged:
        assert (line["trace_id"], line["span_id"]) == (report["trace_id"], report["span_id"])


def test_only_a_well_formed_sampled_traceparent_becomes_a_parent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert sampled_parent(good) is None  # tracing is off in this process
    monkeypatch.setattr(setup, "_ENABLED", True)
    assert sampled_parent(good) is not None
    assert sampled_parent(good.encode()) is not None
    for bad in (
        good[:-2] + "00",  # not sampled
        good.upper(),
        "01" + good[2:],  # unknown version
        "00-" + "0" * 32 + "-b7ad6b7169203331-01",  # invalid trace id
        good.replace("-", "_"),
        good[:-1],
        "",
        None,
    ):
        assert sampled_parent(bad) is None, bad


def _span(**changes: Any) -> ReadableSpan:
    fields: dict[str, Any] = {
        "name": "GET /v1/search/users",
        "context": SpanContext(1, 2, is_remote=False),
        "attributes": {"http.route": "/v1/search/users"},
    }
    return ReadableSpan(**(fields | changes))


def test_the_exporter_keeps_query_values_addresses_and_credentials_out_of_spans() -> None:
    plain = _span()
    assert redact_span(plain) is plain  # nothing to remove: the very same span goes out

    redacted = redact_span(
        _span(
            attributes={
                "url.query": "q=ada%40example.com&limit=5",
                "url.full": "http://user:pw@es:9200/users/_search?q=ada@example.com",
            },
            status=Status(StatusCode.ERROR, "duplicate key: ada@example.com"),
            events=[Event("exception", {"exception.message": "no user ada@example.com"})],
        )
    )

    attributes = dict(redacted.attributes or {})
    assert attributes["url.query"] == "q=[redacted]&limit=[redacted]"
    assert attributes["url.full"] == "http://es:9200/users/_search?q=[redacted]"
    assert redacted.status.description == "duplicate key: [email]"
    assert redacted.events[0].attributes == {"exception.message": "no user [email]"}
    assert redact_url("https://hooks.example/T1/secret") == "https://hooks.example/T1/secret"
