"""What sampling costs and decides: a request is traced as its client's ``traceparent`` says, or
with the configured ratio, decided before any span exists (``infra.tracing.http``); a request
left out and every span outside a sampled trace start nothing at all, not even a sampler call
(``infra.tracing.sampled_only``); inside a sampled trace, spans are recorded as before.

In-process with SDK providers of the tests' own (recording in memory) handed to FastAPI, the
tracers and one psycopg connection (on the session's PostgreSQL) directly, never installed
globally, so nothing leaks into other tests."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Sampler, SamplingResult
from opentelemetry.trace import (
    INVALID_SPAN,
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    TraceFlags,
    TraceState,
)
from opentelemetry.util.types import Attributes

from infra.tracing.http import api_telemetry, request_traced, untraced
from infra.tracing.sampled_only import SampledOnlyTracerProvider
from infra.tracing.sampling import entry_point_sampler

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
SAMPLED = f"00-{TRACE_ID}-b7ad6b7169203331-01"
UNSAMPLED = f"00-{TRACE_ID}-b7ad6b7169203331-00"


@dataclass
class CountingSampler(Sampler):
    """The production sampler, counting how often the SDK asks it."""

    inner: Sampler = field(default_factory=entry_point_sampler)
    calls: int = 0

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        self.calls += 1
        return self.inner.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return "Counting"


@dataclass
class Recorder:
    sampler: CountingSampler
    exporter: InMemorySpanExporter
    tracers: SampledOnlyTracerProvider

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    sampler = CountingSampler()
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=sampler, shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield Recorder(sampler, exporter, SampledOnlyTracerProvider(provider))
    provider.shutdown()


def _context(traceparent_flags: int) -> Context:
    span_context = SpanContext(
        int(TRACE_ID, 16),
        0xB7AD6B7169203331,
        is_remote=True,
        trace_flags=TraceFlags(traceparent_flags),
    )
    return trace.set_span_in_context(NonRecordingSpan(span_context))


def test_a_clients_traceparent_decides_whatever_the_ratio() -> None:
    assert request_traced(SAMPLED, 0.0) is True
    assert request_traced(UNSAMPLED, 1.0) is False


def test_without_a_valid_traceparent_the_ratio_decides() -> None:
    for missing_or_bad in (None, "", SAMPLED.upper(), "00-" + "0" * 32 + "-b7ad6b7169203331-01"):
        assert request_traced(missing_or_bad, 0.0) is False, missing_or_bad
        assert request_traced(missing_or_bad, 1.0) is True, missing_or_bad
    share = sum(request_traced(None, 0.1) for _ in range(20_000)) / 20_000
    assert 0.08 < share < 0.12  # binomial sd 0.002: far outside means a wrong decision


def test_health_checks_and_metrics_scrapes_are_never_traced() -> None:
    exclude = untraced(1.0)
    headers = [(b"traceparent", SAMPLED.encode())]
    assert exclude({"path": "/health/ready", "headers": headers}) is True
    assert exclude({"path": "/metrics", "headers": headers}) is True
    assert exclude({"path": "/v1/accounts", "headers": headers}) is False
    assert exclude({"path": "/v1/accounts", "headers": []}) is False
    assert untraced(0.0)({"path": "/v1/accounts", "headers": []}) is True


def test_outside_a_sampled_trace_nothing_is_started_and_the_sampler_not_asked(
    recorder: Recorder,
) -> None:
    tracer = recorder.tracers.get_tracer("test")

    outer = trace.get_current_span()
    with tracer.start_as_current_span("background poll", kind=SpanKind.CLIENT) as span:
        assert span is INVALID_SPAN
        assert trace.get_current_span() is outer  # the context was not even switched
    assert tracer.start_span("child", context=_context(0)) is INVALID_SPAN

    assert recorder.sampler.calls == 0
    assert recorder.spans() == []


def test_inside_a_sampled_trace_spans_are_recorded_as_children(recorder: Recorder) -> None:
    tracer = recorder.tracers.get_tracer("test")

    with (
        tracer.start_as_current_span("GET /", context=_context(1), kind=SpanKind.SERVER),
        tracer.start_as_current_span("command", attributes={"a": 1}) as command,
    ):
        tracer.start_span("statement", kind=SpanKind.CLIENT).end()
        assert command.is_recording()

    spans = {span.name: span for span in recorder.spans()}
    assert set(spans) == {"GET /", "command", "statement"}
    assert {span.context.trace_id for span in spans.values()} == {int(TRACE_ID, 16)}
    statement_parent = spans["statement"].parent
    assert statement_parent is not None
    assert statement_parent.span_id == spans["command"].context.span_id
    assert dict(spans["command"].attributes or {}) == {"a": 1}
    assert recorder.sampler.calls == 3  # the SDK's sampler still decides each recorded span


def _app(recorder: Recorder, ratio: float) -> FastAPI:
    tracer = recorder.tracers.get_tracer("test")
    app = FastAPI(telemetry={**api_telemetry(ratio), "tracer_provider": recorder.tracers})

    @app.get("/v1/things")
    def things() -> dict[str, bool]:
        with tracer.start_as_current_span("command") as span:
            return {"recording": span.is_recording()}

    @app.get("/health/live")
    def live() -> dict[str, bool]:
        return {"recording": trace.get_current_span().is_recording()}

    return app


@pytest.mark.parametrize(
    ("ratio", "headers"),
    [(0.0, {}), (1.0, {"traceparent": UNSAMPLED})],
    ids=["ratio-0", "client-unsampled"],
)
def test_a_request_left_out_starts_no_span_at_all(
    recorder: Recorder, ratio: float, headers: dict[str, str]
) -> None:
    with TestClient(_app(recorder, ratio)) as client:
        response = client.get("/v1/things", headers=headers)

    assert response.json() == {"recording": False}
    assert recorder.sampler.calls == 0
    assert recorder.spans() == []


def test_a_sampled_request_keeps_the_clients_trace_with_its_spans(recorder: Recorder) -> None:
    with TestClient(_app(recorder, 0.0)) as client:
        response = client.get("/v1/things", headers={"traceparent": SAMPLED})
        health = client.get("/health/live", headers={"traceparent": SAMPLED})

    assert response.json() == {"recording": True}
    assert health.json() == {"recording": False}
    spans = recorder.spans()
    assert sorted(span.name for span in spans) == ["GET /v1/things", "command"]
    assert {span.context.trace_id for span in spans} == {int(TRACE_ID, 16)}


def test_a_statement_outside_a_sampled_trace_starts_no_span_and_inside_one_is_recorded(
    recorder: Recorder, fresh_database_url: str
) -> None:
    tracer = recorder.tracers.get_tracer("test")
    with psycopg.connect(fresh_database_url) as plain:
        conn = PsycopgInstrumentor.instrument_connection(plain, tracer_provider=recorder.tracers)
        conn.execute("select 1")  # a background poll: no trace
        assert recorder.sampler.calls == 0
        with tracer.start_as_current_span("GET /", context=_context(1), kind=SpanKind.SERVER):
            conn.execute("select 2")

    spans = {span.name: span for span in recorder.spans()}
    assert set(spans) == {"GET /", "select"}
    assert dict(spans["select"].attributes or {})["db.statement"] == "select 2"
    parent = spans["select"].parent
    assert parent is not None
    assert parent.span_id == spans["GET /"].context.span_id
