"""Structured logging for every Ledgerline process.

One processor chain serves structlog and the standard library (uvicorn, kafka-python, psycopg),
so every line has the same shape: JSON in production, key=value in dev. ``correlation_id`` and
other request-scoped values are bound with ``structlog.contextvars`` and merged first.

The last step before rendering keeps personal data and secrets out of every line, whoever logged
it (our code, uvicorn, a driver, a traceback): values under a personal or secret key
(``email``, ``full_name``, ``*password``, ``*token``, ``*secret``) are replaced, and anything
shaped like an e-mail address in any string is masked. Names cannot be recognised by shape, so
our code never logs them; ``tests/gdpr/test_leaks.py`` greps the logs of a whole run for a known
name and address.

With tracing on (``infra.tracing``), a line logged within a recorded (sampled) span carries its
``trace_id`` and ``span_id`` (hex, as Jaeger shows them); with tracing off that step is not in
the chain at all.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, Literal, TextIO

import structlog
from opentelemetry import trace

_SHARED_PROCESSORS: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


_PERSONAL_KEYS = frozenset({"email", "full_name"})
_SECRET_SUFFIXES = ("password", "token", "secret")
_EMAIL = re.compile(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)+")
REDACTED = "[redacted]"


def mask_personal_text(text: str) -> str:
    """``text`` with anything shaped like an e-mail address masked (also used on span error
    texts, ``infra.tracing.redaction``)."""
    return _EMAIL.sub("[email]", text)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return mask_personal_text(value)
    if isinstance(value, dict):
        return {key: _scrub_item(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def _scrub_item(key: object, value: Any) -> Any:
    name = str(key).lower()
    if value is not None and (name in _PERSONAL_KEYS or name.endswith(_SECRET_SUFFIXES)):
        return REDACTED
    return _scrub(value)


def redact_personal_data(
    logger: object, method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: see the module docstring."""
    for key, value in event_dict.items():
        event_dict[key] = _scrub_item(key, value)
    return event_dict


def add_trace_ids(
    logger: object, method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: the current span's ``trace_id`` and ``span_id`` when its trace is
    recorded (sampled), also once the span has ended (a request's access line is logged after
    its response went out, and with it the request's span)."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid and context.trace_flags.sampled:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler writing to ``sys.stderr`` as it is when a record is emitted, not as it was when
    logging was configured: a command run in-process (tests' CliRunner) swaps stderr for a
    buffer it closes afterwards, and a library's late log line must not hit the closed one."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass  # always the current sys.stderr


def configure_logging(
    level: str = "INFO", fmt: Literal["json", "console"] = "console", *, trace_ids: bool = False
) -> None:
    """Route structlog and stdlib logging through one renderer on stderr; ``trace_ids`` (tracing
    is on) adds ``add_trace_ids`` to the chain."""
    shared = [*_SHARED_PROCESSORS, add_trace_ids] if trace_ids else _SHARED_PROCESSORS
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            # First: a line below the level is dropped before any processor formats it (the
            # request and command lines are logged on every request, at info).
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_personal_data,
            renderer,
        ],
    )
    handler = _CurrentStderr()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Quiet at any level: these log whole requests and documents at DEBUG (pymongo.command
    # prints every document it sends or receives, uvicorn.access every query string), which
    # would carry personal data into the logs.
    for noisy in ("kafka", "uvicorn.access", "httpx", "httpcore", "elastic_transport", "pymongo"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
