"""The last step before spans leave the process: what no trace may carry, whoever recorded it.

Our own spans carry counts, names and types only, and the instrumentations are configured not to
record statements' parameters or MongoDB documents. What is left is recorded by libraries:
- URLs: FastAPI's request spans carry ``url.query`` (a search query can hold an e-mail address)
  and Elasticsearch's client spans ``url.full``: query values are replaced by ``[redacted]``
  (the names stay, they say what was asked), and user information in a URL is dropped;
- error texts: a failing span's status description and its exception events (a driver's
  message can quote a value) get the e-mail masking of the logs (``infra.logging``).
Spans without any of these go out untouched, as the same objects: the check is a few dict
look-ups per span.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Status
from opentelemetry.util.types import AttributeValue

from infra.logging import REDACTED, mask_personal_text

_QUERY_KEYS = ("url.query",)
_URL_KEYS = ("url.full", "http.url", "http.target")


def redact_query(query: str) -> str:
    """Every value of a query string replaced, its parameter names kept."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(name, REDACTED) for name, _ in pairs], safe="[]")


def redact_url(url: str) -> str:
    """A URL without user information and with its query values redacted."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = redact_query(parts.query) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _redacted_attributes(span: ReadableSpan) -> dict[str, AttributeValue] | None:
    attributes = span.attributes or {}
    changed: dict[str, AttributeValue] = {}
    for key in _QUERY_KEYS:
        value = attributes.get(key)
        if isinstance(value, str) and value:
            changed[key] = redact_query(value)
    for key in _URL_KEYS:
        value = attributes.get(key)
        if isinstance(value, str) and ("?" in value or "@" in value):
            changed[key] = redact_url(value)
    return {**attributes, **changed} if changed else None


def _masked_event(event: Event) -> Event:
    attributes = {
        key: mask_personal_text(value) if isinstance(value, str) else value
        for key, value in (event.attributes or {}).items()
    }
    return Event(event.name, attributes, event.timestamp)


def redact_span(span: ReadableSpan) -> ReadableSpan:
    """``span``, or a copy without what the module docstring lists."""
    attributes = _redacted_attributes(span)
    description = span.status.description
    if attributes is None and not span.events and not description:
        return span
    status = (
        Status(span.status.status_code, mask_personal_text(description))
        if description
        else span.status
    )
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=span.attributes if attributes is None else attributes,
        events=[_masked_event(event) for event in span.events],
        links=span.links,
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class RedactingExporter(SpanExporter):
    """Exports through ``exporter`` what ``redact_span`` leaves of each span."""

    def __init__(self, exporter: SpanExporter) -> None:
        self._exporter = exporter

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._exporter.export([redact_span(span) for span in spans])

    def shutdown(self) -> None:
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._exporter.force_flush(timeout_millis)
