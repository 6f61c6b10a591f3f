"""Distributed tracing (OpenTelemetry): one command's journey through the write API, the event
store, the relay, Kafka, both projectors, the notifier and the query API as one trace in Jaeger.

Off unless ``LEDGERLINE_TRACING_ENDPOINT`` names an OTLP/HTTP receiver: then no SDK provider
and no instrumentation is installed, every span our code starts is the OpenTelemetry API's
no-op span, and batch steps skip even that (``batches``). On, ``configure_tracing`` (``setup``)
installs the provider once per process: a request is traced with probability ``ratio`` or as
its client's ``traceparent`` says, decided before any span exists, children follow their parent,
and only HTTP requests may start a trace (``sampling``); spans outside a sampled trace are not
even started (``sampled_only``); batched OTLP/HTTP export (``otlp_export``, with a faster
encoder than the SDK exporter's: ``otlp_encoding``) with URLs and error texts scrubbed
(``redaction``), instrumentation of psycopg and pymongo, FastAPI's native request spans
(``http``), Elasticsearch's native client spans; ``logs`` puts ``trace_id`` and ``span_id`` on
log lines.

How a trace crosses the asynchronous hops (``propagation``):

- the command bus stores the W3C ``traceparent`` of its command span in every event's metadata,
  next to ``correlation_id`` (a trace id is not personal data; the hash chain covers it like the
  rest of the metadata);
- the relay sends it as the Kafka header ``traceparent``: for a sampled event, that of its own
  "relay publish" span (a child of the command span), otherwise the stored one unchanged, so a
  sampling decision travels with the event and unsampled events cost downstream only a header
  look-up;
- the projectors and the notifier continue the trace with *child spans*, not span links. A
  consumer step handles a batch of events from many traces; for each sampled event it opens a
  span that is a child of that event's context and covers the batch step that carried it (with
  the batch size as an attribute), so each command's trace shows its relay publish, both
  projector writes and its notifier work in causal order and Jaeger draws them as one tree.
  Links would put one batch span in no trace at all (it would be a root of its own, sampled or
  not by chance) and show each command's trace only a pointer to it. The cost is one span per
  sampled event per batch. The steps of the batch (load, fold, write, plan, store) and the driver
  spans (pymongo, Elasticsearch, psycopg) are recorded once, under the first sampled event's
  span, which the other events' spans link to (``batches``).
- webhook deliveries and owed mails keep the traceparent of the notifier span that planned
  them in their rows, so every attempt, even a retry days later, is a child in the same trace.
- the query API's ``min_version`` wait is a span in the reader's request trace.
"""

from infra.tracing.setup import Tracing, configure_tracing, traced_process, tracing_enabled

__all__ = ["Tracing", "configure_tracing", "traced_process", "tracing_enabled"]
