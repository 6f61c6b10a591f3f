"""W3C ``traceparent`` values: reading them from event metadata and Kafka headers, writing the
one of a span.

``traceparent`` is ``00-<trace id: 32 hex>-<parent span id: 16 hex>-<flags: 2 hex>``; the lowest
flag bit says the trace is sampled. Only sampled values become a parent context here: an
unsampled event's downstream spans would be dropped anyway, so they are not even started (the
header is looked up and its last two characters read, nothing more).
"""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from infra.tracing.setup import tracing_enabled

HEADER = "traceparent"
_HEX = frozenset("0123456789abcdef")


def traceparent_of(span: trace.Span) -> str | None:
    """The ``traceparent`` that makes ``span`` the parent (None for an invalid span)."""
    context = span.get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def sampled_parent(traceparent: str | bytes | None) -> Context | None:
    """The context ``traceparent`` names, when tracing is on here and it is well formed and
    sampled; None otherwise."""
    if not traceparent or not tracing_enabled():
        return None
    if isinstance(traceparent, bytes):
        traceparent = traceparent.decode("ascii", "replace")
    flags = traceparent[-2:]
    if len(traceparent) != 55 or not _hex(flags) or not int(flags, 16) & 1:
        return None
    parts = traceparent.split("-")
    if len(parts) != 4:
        return None
    version, trace_id, span_id, _ = parts
    if version != "00" or len(trace_id) != 32 or len(span_id) != 16:
        return None
    if not _hex(trace_id) or not _hex(span_id):
        return None
    span_context = SpanContext(
        int(trace_id, 16),
        int(span_id, 16),
        is_remote=True,
        trace_flags=TraceFlags(int(flags, 16)),
    )
    if not span_context.is_valid:
        return None
    return trace.set_span_in_context(NonRecordingSpan(span_context))


def _hex(text: str) -> bool:
    return bool(text) and _HEX.issuperset(text)


def header_value(headers: Iterable[tuple[str, bytes]] | None) -> bytes | None:
    """The ``traceparent`` among a Kafka record's headers, if any."""
    for key, value in headers or ():
        if key == HEADER:
            return value
    return None
