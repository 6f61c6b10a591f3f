"""The request spans of both APIs: FastAPI's native OpenTelemetry support (FastAPI >= 0.16x,
``FastAPI(telemetry=...)``), which starts a SERVER span per request around the whole app once a
tracer provider is installed, continuing a ``traceparent`` the client sent.

Why not ``opentelemetry-instrumentation-fastapi``: FastAPI now does the same itself (and turns
its own off when that package's middleware is present); the contrib package would be one more
middleware layer per request for nothing. What is configured here: request spans only (no
FastAPI metrics or log records: Prometheus and structlog do those; no spans per dependency,
endpoint and serialisation step, which would triple the spans of every request), nothing from
``OTEL_*`` variables, and no spans for health checks and metrics scrapes, which belong to no
command. The span's ``url.query`` is redacted on export (``redaction``).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from fastapi.telemetry import TelemetryConfig

_UNTRACED_PREFIXES = ("/health/", "/metrics")


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    path = scope.get("path", "")
    return isinstance(path, str) and path.startswith(_UNTRACED_PREFIXES)


def api_telemetry() -> TelemetryConfig:
    """``FastAPI(telemetry=...)`` of the write and query APIs."""
    return {
        "tracing": True,
        "metrics": False,
        "logs": False,
        "operation_spans": False,
        "auto_configure": False,
        "exclude": _untraced,
    }
