"""The HTTP edge of both APIs: one pure ASGI middleware, ``EdgeMiddleware``, outermost in the
app, doing per request what would otherwise be a layer each:

- the correlation id (accepted from ``X-Correlation-ID`` if sane, generated otherwise), bound
  into structlog's context and echoed on the response;
- one access-log line and the request metrics;
- the security headers of ``infra.http.security`` on every response, errors included;
- the body limit: a 413 problem for bodies over ``max_body_bytes``, from ``Content-Length`` up
  front, or by counting the bytes of a body without one as they stream in;
- the last-resort 500 problem, rendered here rather than in Starlette's outer error middleware
  so it still carries the correlation id and the headers.

One layer rather than four because every layer is paid on every request, twice (a wrapped
``send`` per response message, a wrapped ``receive``): on this service's small requests the
layers cost about as much CPU as the route itself. Pure ASGI rather than ``BaseHTTPMiddleware``:
no extra task per request and streaming intact.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from fastapi import FastAPI, Request
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.http.metrics import HttpMetrics
from infra.http.problems import internal_error_response, problem_response
from infra.http.security import install_cors, is_docs_path, security_headers
from infra.settings import Settings

CORRELATION_HEADER = "X-Correlation-ID"
_CORRELATION_NAME = CORRELATION_HEADER.lower().encode("latin-1")
_CORRELATION_SCOPE_KEY = "ledgerline.correlation_id"
# Visible ASCII only: the value ends up in logs, headers and event metadata.
_SANE_CORRELATION_ID = re.compile(r"[\x21-\x7e]{1,128}")
_UNMATCHED_ROUTE = "unmatched"

log = structlog.get_logger()


def correlation_id(request: Request) -> str:
    """The request's correlation id (set by ``EdgeMiddleware``)."""
    value = request.scope.get(_CORRELATION_SCOPE_KEY)
    if not isinstance(value, str):
        value = request.scope[_CORRELATION_SCOPE_KEY] = str(uuid.uuid4())
    return value


def _correlation_id_of(headers: Headers) -> str:
    offered = headers.get(CORRELATION_HEADER)
    if offered is not None and _SANE_CORRELATION_ID.fullmatch(offered):
        return offered
    return str(uuid.uuid4())


def _route_template(scope: Scope) -> str:
    # The router stores the matched route in the scope; unmatched paths share one label so
    # scanners cannot blow up the metrics' cardinality.
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else _UNMATCHED_ROUTE


class _BodyTooLarge(Exception):
    """Raised into the app from ``receive`` when a streamed body passes the limit."""


class EdgeMiddleware:
    """Correlation id, access log, request metrics, security headers, body limit and the
    last-resort 500 problem (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        strict_transport: bool,
        metrics: HttpMetrics | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self._api_headers = security_headers(docs=False, strict_transport=strict_transport)
        self._docs_headers = security_headers(docs=True, strict_transport=strict_transport)

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
        headers = Headers(scope=scope)
        cid = _correlation_id_of(headers)
        scope[_CORRELATION_SCOPE_KEY] = cid
        echoed = (_CORRELATION_NAME, cid.encode("latin-1"))
        extra = self._docs_headers if is_docs_path(scope["path"]) else self._api_headers
        status = 500
        started = False

        async def send_out(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                raw = message.get("headers") or []
                present = {name.lower() for name, _ in raw}
                if _CORRELATION_NAME in present:  # ours replaces the app's
                    raw = [header for header in raw if header[0].lower() != _CORRELATION_NAME]
                message["headers"] = [
                    *raw,
                    echoed,
                    *(header for header in extra if header[0] not in present),
                ]
            await send(message)

        begun = time.perf_counter()
        with structlog.contextvars.bound_contextvars(correlation_id=cid):
            try:
                await self._limited(scope, receive, send_out, headers.get("content-length"))
            except Exception as error:
                log.error(
                    "unhandled_exception",
                    method=scope["method"],
                    path=scope["path"],
                    exc_info=error,
                )
                if started:
                    raise  # Too late for a problem body; let the server drop the connection.
                await internal_error_response()(scope, receive, send_out)
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

    async def _limited(
        self, scope: Scope, receive: Receive, send: Send, declared: str | None
    ) -> None:
        """The app, within the body limit."""
        if declared is not None:
            if not declared.isdigit():
                response = problem_response(
                    400, "invalid-content-length", "Content-Length is not a byte count."
                )
                await response(scope, receive, send)
            elif int(declared) > self.max_body_bytes:
                await self._too_large()(scope, receive, send)
            else:
                # The server delivers no more than the declared length: nothing to count.
                await self.app(scope, receive, send)
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


def install_http_edge(app: FastAPI, settings: Settings, metrics: HttpMetrics | None = None) -> None:
    """The edge middleware outermost, with CORS inside it when origins are configured (so
    preflight answers carry the correlation id and headers too)."""
    install_cors(app, settings)
    app.add_middleware(
        EdgeMiddleware,
        max_body_bytes=settings.max_body_bytes,
        strict_transport=settings.env == "production",
        metrics=metrics,
    )
