"""``configure_tracing``: the one place a process turns tracing on (see the package docstring).

Called once at the start of every serving process by its CLI command, after logging and before
any pool or client is opened (the psycopg instrumentation wraps connections as they are made;
pymongo's listens to clients created after it). With no endpoint configured it does nothing at
all and returns a handle whose ``shutdown`` does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opentelemetry import propagate, trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from infra.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

_ENABLED = False
SERVICE_PREFIX = "ledgerline-"


def tracing_enabled() -> bool:
    """Whether ``configure_tracing`` installed a provider in this process."""
    return _ENABLED


@dataclass
class Tracing:
    """The process's tracing, as configured; ``shutdown`` exports what is buffered."""

    service_name: str
    provider: TracerProvider | None = None

    @property
    def enabled(self) -> bool:
        return self.provider is not None

    def shutdown(self) -> None:
        """Flush the spans still buffered and stop exporting (idempotent)."""
        if self.provider is not None:
            self.provider.shutdown()
            self.provider = None


def otlp_traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL of a receiver's base address (``/v1/traces`` appended unless
    the address already ends with it)."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else f"{endpoint}/v1/traces"


def configure_tracing(settings: Settings, service: str) -> Tracing:
    """Install the SDK provider for ``service`` (``write-api``, ``relay`` ...; exported as
    ``ledgerline-<service>``) when ``settings.tracing_endpoint`` is set; otherwise nothing."""
    global _ENABLED
    name = SERVICE_PREFIX + service
    if settings.tracing_endpoint is None or _ENABLED:
        return Tracing(name)
    # Imported here: a process without tracing never loads the SDK, the exporter or the
    # instrumentations.
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from infra.tracing.otlp_export import OtlpHttpSpanExporter
    from infra.tracing.process_resource import process_resource
    from infra.tracing.redaction import RedactingExporter
    from infra.tracing.sampled_only import SampledOnlyTracerProvider
    from infra.tracing.sampling import entry_point_sampler

    provider = TracerProvider(
        # The ratio is applied to requests at the edge (http.api_telemetry).
        sampler=entry_point_sampler(),
        resource=process_resource(name),
        # Flushed by Tracing.shutdown on the way out, not by the SDK's atexit hook, which
        # would run after the logging it reports through is gone.
        shutdown_on_exit=False,
    )
    exporter = RedactingExporter(
        OtlpHttpSpanExporter(otlp_traces_url(settings.tracing_endpoint), timeout_s=10)
    )
    # Spans show up in Jaeger within about a second; a full batch leaves at once. The queue
    # holds a few seconds of a busy process's spans at 100 % sampling (the default 2,048 was
    # overrun in bench/tracing.py's bursts, and a full queue drops spans, i.e. breaks traces).
    provider.add_span_processor(
        BatchSpanProcessor(exporter, max_queue_size=16_384, schedule_delay_millis=1000)
    )
    # Every tracer skips spans outside a sampled trace before the SDK sees them (sampled_only).
    tracers = SampledOnlyTracerProvider(provider)
    trace.set_tracer_provider(tracers)
    # W3C trace context only: a client's ``baggage`` (anything at all) is not carried along.
    propagate.set_global_textmap(TraceContextTextMapPropagator())
    # Statement texts only (they hold placeholders, never values): no parameters, no comments.
    PsycopgInstrumentor().instrument(
        tracer_provider=tracers, capture_parameters=False, enable_commenter=False
    )
    # The command's name only, never its document (which holds read-model fields).
    PymongoInstrumentor().instrument(
        tracer_provider=tracers, capture_statement=False, failed_hook=_failed_command
    )
    _ENABLED = True
    return Tracing(name, provider)


@contextmanager
def traced_process(settings: Settings, service: str) -> Iterator[Tracing]:
    """``configure_tracing`` for the life of a process's main function, flushed at its end."""
    tracing = configure_tracing(settings, service)
    try:
        yield tracing
    finally:
        tracing.shutdown()


def _failed_command(span: trace.Span, event: object) -> None:
    """A failed MongoDB command's span says which error (``codeName``), not the server's
    message, which can quote a document's values (a duplicate key, say)."""
    from opentelemetry.trace import Status, StatusCode

    failure = getattr(event, "failure", None) or {}
    span.set_status(Status(StatusCode.ERROR, str(failure.get("codeName", "MongoError"))))
