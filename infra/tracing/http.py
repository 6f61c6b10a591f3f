"""The request spans of both APIs: FastAPI's native OpenTelemetry support (FastAPI >= 0.16x,
``FastAPI(telemetry=...)``), which starts a SERVER span per request around the whole app once a
tracer provider is installed, continuing a ``traceparent`` the client sent.

Why not ``opentelemetry-instrumentation-fastapi``: FastAPI now does the same itself (and turns
its own off when that package's middleware is present); the contrib package would be one more
middleware layer per request for nothing. What is configured here: request spans only (no
FastAPI metrics or log records: Prometheus and structlog do those; no spans per dependency,
endpoint and serialisation step, which would triple the spans of every request), nothing from
``OTEL_*`` variables, and no spans for health checks and metrics scrapes, which belong to no
command, nor for requests the sampling decision leaves out (``request_traced``, see
``sampling``): both go through the ``exclude`` hook, FastAPI's own way of keeping a request out
of its telemetry, so such a request costs no span at all rather than a dropped one. The span's
``url.query`` is redacted on export (``redaction``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, MutableMapping
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_UNTRACED_PREFIXES = ("/health/", "/metrics")
_TRACEPARENT = b"traceparent"

Scope = MutableMapping[str, Any]

_TRACE_CONTEXT = TraceContextTextMapPropagator()


def request_traced(traceparent: str | None, ratio: float) -> bool:
    """Whether a request is traced: as the sampled flag of ``traceparent`` says when the client
    sent a valid one (the W3C propagator's parsing, as for the span itself), otherwise with
    probability ``ratio``."""
    if traceparent:
        parent = _TRACE_CONTEXT.extract({"traceparent": traceparent})
        context = trace.get_current_span(parent).get_span_context()
        if context.is_valid:
            return context.trace_flags.sampled
    # A random draw rather than the SDK's trace-id ratio: no trace id exists yet, and a root's
    # decision is taken here only, once; its descendants in every process follow the flag.
    return ratio >= 1.0 or random.random() < ratio


def _traceparent(scope: Scope) -> str | None:
    # ASGI header names are lower-case bytes; the first value counts, as for the propagator.
    for name, value in scope.get("headers") or ():
        if name == _TRACEPARENT:
            return bytes(value).decode("latin-1")
    return None


def untraced(ratio: float) -> Callable[[Scope], bool]:
    """The ``exclude`` hook: health checks, metrics scrapes and requests not sampled."""

    def exclude(scope: Scope) -> bool:
        path = scope.get("path", "")
        if isinstance(path, str) and path.startswith(_UNTRACED_PREFIXES):
            return True
        return not request_traced(_traceparent(scope), ratio)

    return exclude


def api_telemetry(sample_ratio: float) -> TelemetryConfig:
    """``FastAPI(telemetry=...)`` of the write and query APIs (``sample_ratio``: the share of
    requests without a client's ``traceparent`` that are traced)."""
    return {
        "tracing": True,
        "metrics": False,
        "logs": False,
        "operation_spans": False,
        "auto_configure": False,
        "exclude": untraced(sample_ratio),
    }
