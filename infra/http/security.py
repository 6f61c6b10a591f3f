"""HTTP hardening shared by both APIs: the security headers every response carries (added by
``infra.http.middleware.EdgeMiddleware``), CORS only when configured, and no interactive docs
in production.

API responses get the strictest policy (they are JSON, never rendered): no sniffing, no
framing, no referrer, no caching of financial data, a CSP that allows nothing. The Swagger and
ReDoc pages (dev only) load their scripts and styles from the CDN FastAPI points them at, so
they get a CSP that allows exactly that origin and nothing else.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

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


def is_docs_path(path: str) -> bool:
    """The interactive docs' pages, which get their own CSP."""
    return path.startswith(_DOCS_PATHS)


def security_headers(*, docs: bool, strict_transport: bool) -> list[tuple[bytes, bytes]]:
    """The headers for API responses (or the docs' pages), as ASGI header pairs; a response
    that sets one of them itself keeps its own."""
    headers = [*_COMMON, (b"content-security-policy", _DOCS_CSP if docs else _API_CSP)]
    if not docs:
        headers.append((b"cache-control", b"no-store"))
    if strict_transport:
        headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
    return headers


def install_cors(app: FastAPI, settings: Settings) -> None:
    """CORS only for the configured origins (none by default)."""
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
