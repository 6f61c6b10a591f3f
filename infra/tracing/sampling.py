"""Which traces are recorded: ``ParentBased(TraceIdRatioBased(ratio))``, where only a request
to one of the APIs (a SERVER span) may start a trace.

A span with a parent follows the parent's decision: the request's, carried to the relay,
projectors and notifier in the ``traceparent`` header, or the client's own (a client that sends
``traceparent`` keeps its trace id and its sampled flag). A span without one is a root: a
request is recorded with probability ``ratio`` (decided from the trace id, so every process
agrees); any other root (the relay's polls, a projector's or the notifier's queries between
batches, the dispatcher's claims) is background work that belongs to no command, and is dropped
rather than cluttering Jaeger with thousands of one-span traces.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind, TraceState
from opentelemetry.util.types import Attributes


class RequestsOnly(Sampler):
    """Root decision: ``requests`` decides for SERVER spans, every other root is dropped."""

    def __init__(self, requests: Sampler) -> None:
        self._requests = requests

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
        if kind is SpanKind.SERVER:
            return self._requests.should_sample(
                parent_context, trace_id, name, kind, attributes, links, trace_state
            )
        return SamplingResult(Decision.DROP, None, trace_state)

    def get_description(self) -> str:
        return f"RequestsOnly{{{self._requests.get_description()}}}"


def entry_point_sampler(ratio: float) -> Sampler:
    """The sampler of every Ledgerline process (see the module docstring)."""
    return ParentBased(root=RequestsOnly(TraceIdRatioBased(ratio)))
