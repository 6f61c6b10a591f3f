"""HTTP hardening shared by both APIs: security headers on every response, CORS only when
configured, and no interactive docs in production.

API responses get the strictest policy (they are JSON, never rendered): no sniffing, no
framing, no referrer, no caching of financial data, a CSP that allows nothing. The Swagger and
ReDoc pages (dev only) load their scripts and styles from the CDN FastAPI points them at, so
they get a CSP that allows exactly that origin and nothing else.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.settings import Settings

_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
_API_CSP = b"default-src 'none'; frame-ancestors 'none'"
_DOCS_CSP = (
    b"default-src 'none'; script-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; "
    b"style-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; img-src 'self' data: "
    b"https://fastapi.tiangolo.com; connect-src 'self'; worker-src blob:; frame-ancestors 'none'"
)
_DOCS_PATHS = ("/docs", "/redoc")


def docs_settings(settings: Settings) -> dict[str, Any]:
    """FastAPI keyword arguments: interactive docs off in production (the OpenAPI JSON stays,
    clients generate code from it)."""
    if settings.env == "production":
        return {"docs_url": None, "redoc_url": None}
    return {}


class SecurityHeadersMiddleware:
    """Pure ASGI: adds the headers to every HTTP response, errors included."""

    def __init__(self, app: ASGIApp, *, strict_transport: bool) -> None:
        self.app = app
        self.strict_transport = strict_transport

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_docs = str(scope.get("path", "")).startswith(_DOCS_PATHS)
        extra = [
            *_COMMON,
            (b"content-security-policy", _DOCS_CSP if is_docs else _API_CSP),
        ]
        if not is_docs:
            extra.append((b"cache-control", b"no-store"))
        if self.strict_transport:
            extra.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((name, value) for name, value in extra if name not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_http_security(app: FastAPI, settings: Settings) -> None:
    """Security headers always; CORS only for the configured origins (none by default)."""
    if settings.cors_allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "If-Match",
                "X-Correlation-ID",
            ],
            expose_headers=["ETag", "X-Correlation-ID", "Idempotent-Replayed", "Retry-After"],
        )
    app.add_middleware(SecurityHeadersMiddleware, strict_transport=settings.env == "production")
