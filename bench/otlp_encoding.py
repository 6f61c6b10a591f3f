"""What encoding spans for export costs: ``infra/tracing/otlp_encoding.py`` against the
OpenTelemetry SDK exporter's encoder (the baseline), on the same spans, in one process.

    python bench/otlp_encoding.py [--spans 1024] [--repeats 15]

The spans are shaped like the write API's: pairs of a request span with 11 attributes and a
statement span with 7 under it, recorded by an SDK provider with the process resource every
Ledgerline process uses. Each encoder turns the whole list into OTLP protobuf bytes (what goes on
the wire); the two run in turn, ``--repeats`` times each, and the best time per span is printed,
so that load from elsewhere on the machine shows as little as it can. The bytes are compared
too: a faster encoder that sent something else would be no result.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as sdk_encode
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from opentelemetry.util.types import Attributes

# A script run as `python bench/otlp_encoding.py` has bench/, not the repository, on its path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from infra.tracing.otlp_encoding import encode_spans
from infra.tracing.process_resource import process_resource

REQUEST_ATTRIBUTES: Attributes = {
    "http.request.method": "POST",
    "url.path": "/accounts/0b6f5a52-3f5e-4c38-9a57-3f8d1f4f4f11/deposits",
    "url.scheme": "http",
    "http.route": "/accounts/{account_id}/deposits",
    "server.address": "127.0.0.1",
    "server.port": 8000,
    "network.protocol.version": "1.1",
    "client.address": "127.0.0.1",
    "client.port": 51234,
    "user_agent.original": "Go-http-client/1.1",
    "http.response.status_code": 201,
}
STATEMENT_ATTRIBUTES: Attributes = {
    "db.system": "postgresql",
    "db.name": "ledgerline",
    "db.statement": "INSERT INTO events (stream_id, version, type, data) VALUES (%s, %s, %s, %s)",
    "db.user": "ledgerline",
    "net.peer.name": "127.0.0.1",
    "net.peer.port": 5432,
    "net.transport": "ip_tcp",
}


def recorded_spans(pairs: int) -> Sequence[ReadableSpan]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=process_resource("bench"), shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    requests = provider.get_tracer("fastapi")
    statements = provider.get_tracer("opentelemetry.instrumentation.psycopg", "0.66b1")
    for _ in range(pairs):
        with (
            requests.start_as_current_span(
                "POST /accounts/{account_id}/deposits",
                kind=SpanKind.SERVER,
                attributes=REQUEST_ATTRIBUTES,
            ),
            statements.start_as_current_span(
                "INSERT", kind=SpanKind.CLIENT, attributes=STATEMENT_ATTRIBUTES
            ),
        ):
            pass
    provider.shutdown()
    return exporter.get_finished_spans()


def per_span_us(encode: Callable[[], bytes], spans: int) -> float:
    started = time.perf_counter()
    encode()
    return (time.perf_counter() - started) / spans * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1024, help="spans per encoding (even)")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    if args.spans < 2 or args.repeats < 1:
        sys.exit("bench/otlp_encoding.py: --spans must be at least 2 and --repeats at least 1")
    spans = recorded_spans(args.spans // 2)
    ours = encode_spans(spans).SerializeToString()
    baseline = sdk_encode(spans).SerializeToString()
    if ours != baseline:
        sys.exit("bench/otlp_encoding.py: the two encoders produced different bytes")

    contenders: dict[str, Callable[[], bytes]] = {
        "SDK encoder (baseline)": lambda: sdk_encode(spans).SerializeToString(),
        "infra/tracing/otlp_encoding.py": lambda: encode_spans(spans).SerializeToString(),
    }
    timings: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.repeats):
        for name, encode in contenders.items():  # in turn, so drift hits both alike
            timings[name].append(per_span_us(encode, len(spans)))
    base = min(timings["SDK encoder (baseline)"])
    print(f"{len(spans)} spans, {len(ours):,} bytes, best of {args.repeats}:")
    for name, measured in timings.items():
        best = min(measured)
        print(f"  {name:<32} {best:6.1f} µs per span   {base / best:4.2f}x the baseline's speed")


if __name__ == "__main__":
    main()
