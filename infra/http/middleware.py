"""Pure ASGI middleware shared by both APIs.

- ``RequestContextMiddleware`` (outermost): correlation id (accepted from ``X-Correlation-ID`` if
  sane, generated otherwise), bound into structlog's context and echoed on the response; one
  access-log line and the request metrics per request; the last-resort 500 problem, rendered
  here rather than in Starlette's outer error middleware so it still carries the correlation id.
- ``BodyLimitMiddleware``: refuses bodies over the limit with a 413 problem, from
  ``Content-Length`` up front, and by counting the bytes of chunked bodies as they stream in.

Pure ASGI rather than ``BaseHTTPMiddleware``: no extra task per request and streaming intact.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from fastapi import Request
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.http.metrics import HttpMetrics
from infra.http.problems import internal_error_response, problem_response

CORRELATION_HEADER = "X-Correlation-ID"
_CORRELATION_SCOPE_KEY = "ledgerline.correlation_id"
# Visible ASCII only: the value ends up in logs, headers and event metadata.
_SANE_CORRELATION_ID = re.compile(r"[\x21-\x7e]{1,128}")
_UNMATCHED_ROUTE = "unmatched"

log = structlog.get_logger()


def correlation_id(request: Request) -> str:
    """The request's correlation id (set by ``RequestContextMiddleware``)."""
    value = request.scope.get(_CORRELATION_SCOPE_KEY)
    if not isinstance(value, str):
        value = request.scope[_CORRELATION_SCOPE_KEY] = str(uuid.uuid4())
    return value


def _incoming_correlation_id(scope: Scope) -> str:
    offered = Headers(scope=scope).get(CORRELATION_HEADER)
    if offered is not None and _SANE_CORRELATION_ID.fullmatch(offered):
        return offered
    return str(uuid.uuid4())


def _route_template(scope: Scope) -> str:
    # The router stores the matched route in the scope; unmatched paths share one label so
    # scanners cannot blow up the metrics' cardinality.
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else _UNMATCHED_ROUTE


class RequestContextMiddleware:
    """Correlation id, access log, request metrics and the last-resort 500 problem."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = _incoming_correlation_id(scope)
        scope[_CORRELATION_SCOPE_KEY] = cid
        status = 500
        started = False

        async def send_with_correlation_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                MutableHeaders(scope=message)[CORRELATION_HEADER] = cid
            await send(message)

        begun = time.perf_counter()
        with structlog.contextvars.bound_contextvars(correlation_id=cid):
            try:
                await self.app(scope, receive, send_with_correlation_id)
            except Exception as error:
                log.error(
                    "unhandled_exception",
                    method=scope["method"],
                    path=scope["path"],
                    exc_info=error,
                )
                if started:
                    raise  # Too late for a problem body; let the server drop the connection.
                await internal_error_response()(scope, receive, send_with_correlation_id)
            finally:
                elapsed = time.perf_counter() - begun
                route = _route_template(scope)
                log.info(
                    "http_request",
                    method=scope["method"],
                    path=scope["path"],
                    route=route,
                    status=status,
                    duration_ms=round(elapsed * 1000, 3),
                )
                if self.metrics is not None:
                    self.metrics.observe_request(scope["method"], route, status, elapsed)


class _BodyTooLarge(Exception):
    """Raised into the app from ``receive`` when a streamed body passes the limit."""


class BodyLimitMiddleware:
    """413 problem for request bodies over ``max_body_bytes``."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    def _too_large(self) -> ASGIApp:
        return problem_response(
            413,
            "content-too-large",
            f"The request body exceeds {self.max_body_bytes} bytes.",
            title="Content too large",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.isdigit():
                response = problem_response(
                    400, "invalid-content-length", "Content-Length is not a byte count."
                )
                await response(scope, receive, send)
                return
            if int(declared) > self.max_body_bytes:
                await self._too_large()(scope, receive, send)
                return

        received = 0
        exceeded = False
        response_started = False

        async def receive_with_limit() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def send_unless_exceeded(message: Message) -> None:
            nonlocal response_started
            # Once the limit is hit, whatever the app answers (FastAPI turns a failing body read
            # into a 400) is replaced by the 413 below.
            if exceeded and not response_started:
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive_with_limit, send_unless_exceeded)
        except _BodyTooLarge:
            if response_started:
                raise
        except Exception:
            if not exceeded or response_started:
                raise
        if exceeded and not response_started:
            await self._too_large()(scope, receive, send)
