"""Span export (``infra.tracing.otlp_encoding``, ``infra.tracing.otlp_export``): the requests our
encoder builds are the SDK exporter's, byte for byte, for every kind of span content; the
exporter posts them as OTLP/HTTP protobuf and retries only what the specification calls
retryable, within its timeout. Against a real HTTP receiver (``tests.notifier.receiver``); the
tracing tests send through the same exporter to a real Jaeger."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import (
    encode_spans as sdk_encode_spans,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TraceState,
)

from infra.tracing.otlp_encoding import encode_spans
from infra.tracing.otlp_export import OtlpHttpSpanExporter
from infra.tracing.process_resource import process_resource
from tests.notifier.receiver import receiver

REMOTE = SpanContext(
    trace_id=0x0AF7651916CD43DD8448EB211C80319C,
    span_id=0xB7AD6B7169203331,
    is_remote=True,
    trace_flags=TraceFlags(TraceFlags.SAMPLED),
    trace_state=TraceState([("vendor", "value"), ("other", "x")]),
)


def _record(resource: Resource, scopes: Sequence[tuple[str, str | None]]) -> list[ReadableSpan]:
    """Spans of every shape one process can end up exporting, under ``resource``."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    for number, (name, version) in enumerate(scopes):
        tracer = provider.get_tracer(
            name, version, schema_url="https://opentelemetry.io/schemas/1.21.0"
        )
        remote_parent = trace.set_span_in_context(NonRecordingSpan(REMOTE))
        with tracer.start_as_current_span(
            "GET /accounts/{account_id}",
            context=remote_parent,
            kind=SpanKind.SERVER,
            attributes={"http.route": "/accounts/{account_id}", "http.status_code": 200},
        ) as request:
            with tracer.start_as_current_span(
                "append",
                attributes={
                    "ledgerline.events": 3,
                    "ledgerline.ratio": 0.5,
                    "ledgerline.first": True,
                    "ledgerline.types": ("Deposited", "Withdrawn"),
                    "ledgerline.counts": (1, 2, 3),
                    "ledgerline.flags": (True, False),
                    "ledgerline.shares": (0.25, 0.75),
                },
            ) as append:
                append.add_event("retried", {"attempt": number + 1, "reason": "serialization"})
                append.add_event("bare")
            for kind in (SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER):
                tracer.start_span(f"kind {kind.name}", kind=kind).end()
            failing = tracer.start_span(
                "relay publish",
                links=[
                    Link(REMOTE, {"ledgerline.batch": 12}),
                    Link(request.get_span_context()),
                ],
            )
            failing.set_status(Status(StatusCode.ERROR, "KafkaTimeoutError"))
            failing.end()
            ok = tracer.start_span("ok")
            ok.set_status(Status(StatusCode.OK))
            ok.end()
        tracer.start_span("a root of its own").end()
    provider.shutdown()
    return list(exporter.get_finished_spans())


def _spans() -> list[ReadableSpan]:
    return _record(process_resource("ledgerline-write-api"), [("ledgerline", None)]) + _record(
        Resource.create({"service.name": "ledgerline-relay", "ledgerline.pid": 7}),
        [("ledgerline", "1.0"), ("opentelemetry.instrumentation.psycopg", "0.66b1")],
    )


def test_our_requests_are_the_sdk_exporters_byte_for_byte() -> None:
    spans = _spans()
    ours = encode_spans(spans)
    reference = sdk_encode_spans(spans)
    assert ours == reference
    assert ours.SerializeToString() == reference.SerializeToString()
    assert len(ours.resource_spans) == 2
    assert [len(group.scope_spans) for group in ours.resource_spans] == [1, 2]


def test_spans_of_one_process_go_out_under_its_one_resource() -> None:
    spans = _record(process_resource("ledgerline-unit"), [("ledgerline", None)])
    (group,) = encode_spans(spans).resource_spans
    attributes = {kv.key: kv.value for kv in group.resource.attributes}
    assert attributes["service.name"].string_value == "ledgerline-unit"
    assert attributes["service.namespace"].string_value == "ledgerline"
    assert {span.name for scope in group.scope_spans for span in scope.spans} >= {
        "append",
        "relay publish",
    }


def test_the_exporter_posts_one_protobuf_request_per_batch() -> None:
    spans = _spans()
    with receiver() as hooks:
        exporter = OtlpHttpSpanExporter(hooks.url, timeout_s=5)
        try:
            assert exporter.export(spans) is SpanExportResult.SUCCESS
        finally:
            exporter.shutdown()
    (posted,) = hooks.requests
    assert posted.headers["content-type"] == "application/x-protobuf"
    assert ExportTraceServiceRequest.FromString(posted.body) == sdk_encode_spans(spans)


def test_a_retryable_answer_is_retried_until_the_timeout_then_the_batch_is_dropped() -> None:
    with receiver() as hooks:
        hooks.status = 503
        exporter = OtlpHttpSpanExporter(hooks.url, timeout_s=2.5, first_back_off_s=0.05)
        try:
            assert exporter.export(_spans()) is SpanExportResult.FAILURE
        finally:
            exporter.shutdown()
    # 0.05 + 0.1 + 0.2 + 0.4 + 0.8 s of back-off fit in the 2.5 s (with 0.19 s to spare per
    # request for a busy machine); the next 1.6 would not.
    assert len(hooks.requests) == 6


def test_a_refused_batch_is_not_retried_and_the_next_one_goes_out() -> None:
    with receiver() as hooks:
        hooks.status = 400
        exporter = OtlpHttpSpanExporter(hooks.url, timeout_s=5, first_back_off_s=0.05)
        try:
            assert exporter.export(_spans()) is SpanExportResult.FAILURE
            assert len(hooks.requests) == 1
            hooks.status = 200
            assert exporter.export(_spans()) is SpanExportResult.SUCCESS
            assert len(hooks.requests) == 2
        finally:
            exporter.shutdown()


def test_an_unreachable_receiver_fails_the_export_within_its_timeout() -> None:
    with receiver() as hooks:
        url = hooks.url
    # The receiver is gone: every connection is refused, which is retryable.
    exporter = OtlpHttpSpanExporter(url, timeout_s=0.5, first_back_off_s=0.05)
    try:
        assert exporter.export(_spans()) is SpanExportResult.FAILURE
    finally:
        exporter.shutdown()
    assert exporter.export(_spans()) is SpanExportResult.FAILURE  # after shutdown: at once
