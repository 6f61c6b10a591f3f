"""``OtlpHttpSpanExporter``: spans to an OTLP/HTTP receiver (Jaeger's ``/v1/traces``) as
protobuf, encoded by ``otlp_encoding`` rather than by the SDK exporter's slower encoder, which
that exporter offers no way to replace.

The transport is what the OTLP/HTTP specification asks of a client: one POST per batch of
``application/x-protobuf``, a kept-alive connection, and retries with exponential back-off on
the answers it calls retryable (429, 502, 503, 504) and on connection errors, all within the
export's timeout. A batch that still fails is dropped and logged (its size and the status, never
its content); the next one goes out as usual, as with the SDK exporter.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import httpx
import structlog
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from infra.tracing.otlp_encoding import encode_spans

log = structlog.get_logger(__name__)

_RETRYABLE = frozenset({429, 502, 503, 504})


class OtlpHttpSpanExporter(SpanExporter):
    """Exports to ``url`` (the receiver's full traces URL), each batch within ``timeout_s``,
    waiting ``first_back_off_s`` before the first retry and twice as long before each next."""

    def __init__(self, url: str, timeout_s: float = 10.0, first_back_off_s: float = 0.5) -> None:
        self._url = url
        self._timeout_s = timeout_s
        self._first_back_off_s = first_back_off_s
        self._client = httpx.Client(headers={"Content-Type": "application/x-protobuf"})
        # Set by shutdown: a back-off in progress ends at once rather than delaying exit.
        self._stopped = threading.Event()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._stopped.is_set():
            return SpanExportResult.FAILURE
        body = encode_spans(spans).SerializeToString()
        deadline = time.monotonic() + self._timeout_s
        back_off = self._first_back_off_s
        while True:
            outcome = self._post(body, deadline)
            if outcome is None:
                return SpanExportResult.SUCCESS
            retryable, reason = outcome
            if not retryable or time.monotonic() + back_off > deadline:
                log.warning("span_export_failed", spans=len(spans), reason=reason)
                return SpanExportResult.FAILURE
            if self._stopped.wait(back_off):
                return SpanExportResult.FAILURE
            back_off *= 2

    def _post(self, body: bytes, deadline: float) -> tuple[bool, str] | None:
        """None when the receiver took the batch, else (whether to retry, why not)."""
        try:
            response = self._client.post(
                self._url, content=body, timeout=max(deadline - time.monotonic(), 0.1)
            )
        except httpx.TransportError as error:
            return True, type(error).__name__
        if response.is_success:
            return None
        return response.status_code in _RETRYABLE, f"HTTP {response.status_code}"

    def shutdown(self) -> None:
        self._stopped.set()
        self._client.close()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        # Nothing is buffered here: each export is sent before it returns.
        return True
