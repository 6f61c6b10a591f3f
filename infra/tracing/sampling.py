"""Which traces are recorded: a request to one of the APIs is traced with probability ``ratio``,
or as its client's ``traceparent`` says; everything else follows its parent
(``ParentBased``), and only a request may start a trace.

The ratio is applied at the request's edge (``http.request_traced``, called by FastAPI's telemetry
``exclude`` hook), before any span exists: a request not to be traced never enters
the telemetry at all, so nine requests in ten at 10 % pay one dictionary look-up and one random
number instead of a request span the sampler would drop, with everything under it. The SDK
sampler then records every request span that reaches it (``RequestsOnly(ALWAYS_ON)``).

A span with a parent follows the parent's decision: the request's, carried to the relay,
projectors and notifier in the ``traceparent`` header, or the client's own (a client that sends
a valid ``traceparent`` keeps its trace id and its sampled flag). Any other root (the relay's
polls, a projector's or the notifier's queries between batches, the dispatcher's claims) is
background work that belongs to no command, and is dropped rather than cluttering Jaeger with
thousands of one-span traces. ``sampled_only`` skips such spans before the SDK even sees them.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
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


def entry_point_sampler() -> Sampler:
    """The sampler of every Ledgerline process: requests that ``http.request_traced`` let through
    are recorded, other roots dropped, children follow their parent."""
    return ParentBased(root=RequestsOnly(ALWAYS_ON))
