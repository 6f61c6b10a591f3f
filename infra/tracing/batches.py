"""Spans of work done for many events at once (a relay batch, a projector's or the notifier's
poll), as children of each sampled event's own trace (see the package docstring for why child
spans rather than links).

``traced_batch`` opens one span per sampled event, each a child of that event's context, and
makes the first one current, so the driver spans of the batch (pymongo, Elasticsearch, psycopg)
hang under it. Inside it, ``batch_step`` opens one span for one step of the batch's work (a
fold, a sink write), under that same first event's span: the step is done once for the whole
batch, so it is recorded once. The other events' spans carry a link to the first one, where the
steps are. With no sampled event in the batch, or tracing off, neither starts anything: the
cost is one context-variable look-up per step.

Why steps only once: at 100 % sampling a busy projector's batch holds tens of events, and a
span per event per step multiplied its spans (and the CPU they cost, some 40 µs each from start
to export) by the number of steps, for copies of the same timings (bench/tracing.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

Attributes = Mapping[str, AttributeValue]

_tracer = trace.get_tracer("ledgerline")
# The spans of the batch being handled on this thread (empty: none sampled, or no batch).
_BATCH: ContextVar[tuple[Span, ...]] = ContextVar("ledgerline_batch_spans", default=())


def _fail(spans: Sequence[Span], error: BaseException) -> None:
    # The exception's type only: its message may quote a value.
    for span in spans:
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))


@contextmanager
def _current(spans: tuple[Span, ...]) -> Iterator[tuple[Span, ...]]:
    token = otel_context.attach(trace.set_span_in_context(spans[0]))
    batch = _BATCH.set(spans)
    try:
        yield spans
    except BaseException as error:
        _fail(spans, error)
        raise
    finally:
        _BATCH.reset(batch)
        otel_context.detach(token)
        for span in spans:
            span.end()


@contextmanager
def traced_batch(
    name: str,
    parents: Sequence[tuple[Context, Attributes]],
    *,
    kind: SpanKind = SpanKind.CONSUMER,
    attributes: Attributes | None = None,
) -> Iterator[tuple[Span, ...]]:
    """One span ``name`` per (event context, the event's own attributes) in ``parents``, each
    with ``attributes`` too, for the duration of the block; yields them in ``parents``' order
    (nothing when ``parents`` is empty)."""
    if not parents:
        yield ()
        return
    shared = dict(attributes or {})
    (first_parent, first_own), *others = parents
    first = _tracer.start_span(
        name, context=first_parent, kind=kind, attributes={**shared, **first_own}
    )
    steps_there = [Link(first.get_span_context())]
    linked = [
        _tracer.start_span(
            name, context=parent, kind=kind, attributes={**shared, **own}, links=steps_there
        )
        for parent, own in others
    ]
    spans = (first, *linked)
    with _current(spans):
        yield spans


@contextmanager
def batch_step(name: str, attributes: Attributes | None = None) -> Iterator[tuple[Span, ...]]:
    """A span ``name``, child of the first span of the current ``traced_batch`` (or step), for
    the block; nothing outside one."""
    parents = _BATCH.get()
    if not parents:
        yield ()
        return
    context = trace.set_span_in_context(parents[0])
    with _current((_tracer.start_span(name, context=context, attributes=attributes),)) as spans:
        yield spans


@contextmanager
def event_span(
    name: str,
    parent: Context | None,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Attributes | None = None,
) -> Iterator[Span | None]:
    """One span ``name``, current for the block, child of ``parent`` (an event's sampled
    context, ``propagation.sampled_parent``); nothing when ``parent`` is None."""
    if parent is None:
        yield None
        return
    span = _tracer.start_span(name, context=parent, kind=kind, attributes=attributes)
    with _current((span,)):
        yield span
