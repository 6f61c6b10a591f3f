"""The gateway's NGINX configuration, rendered from a ``GatewayConfig`` (built from Settings and
the API instances' addresses by ``infra.servers.nginx``); pure text, no I/O.

What it says, and why:
- **Routing by method.** ``GET``/``HEAD`` of the API paths (``/v1/``, ``/health/``, the docs and
  ``/openapi.json``) go to the query API's instances, everything else to the write API's;
  ``/v1/auth/`` and ``/.well-known/`` always to the write API (the auth service lives there, and
  its discovery documents are GETs). ``/metrics`` is not public: Prometheus scrapes each instance
  on its own port (through the gateway it would see a random instance anyway).
- **The web console** (``console_dir``, the production build of ``web/``) on every other
  ``GET``/``HEAD``, from the same origin as the APIs (no CORS): a file that exists is served, any
  other path gets ``index.html`` (the console's router draws the page). ``/assets/`` holds only
  content-hashed files, cached for a year as immutable; a missing one is a 404, never
  ``index.html``. Everything else is ``no-cache`` (revalidated, so a new build shows at once). Its
  pages get a Content-Security-Policy allowing only their own origin's scripts, styles and API.
  Without a build, those paths answer 404.
- **Retries only where safe.** NGINX passes a request to the next instance after a connection
  error or timeout. For ``GET``/``HEAD`` that is always safe. A command is passed on after it
  has reached an instance only when it carries an ``Idempotency-Key``: the write API answers a
  repeat from the first attempt's record, so a command sent twice still takes effect once. One
  without a key whose instance dies mid-request gets a 502, and its client decides. NGINX
  itself never resends a ``POST`` or ``PATCH`` that has been sent, but does resend ``PUT`` and
  ``DELETE`` (idempotent in HTTP's book, though a second attempt could answer differently
  here), so those go, without a key, to a location that never tries another instance.
- **Outer guard.** Body size (the APIs' own limit), timeouts, and per-address request and
  connection limits; everything NGINX refuses itself is an RFC 9457 problem, like the APIs'.
- **The edge.** ``X-Forwarded-For`` is *set* to the connecting address, not appended to, so a
  client cannot smuggle in an address the APIs would believe; ``X-Forwarded-Proto`` says https.
  The APIs trust both only from the gateway's address (``forwarded_allow_ips``).
- **No personal data in logs.** The access log has no client address and no query string (a
  search's ``q`` can be an e-mail address); NGINX's error lines carry both, so only critical
  ones are written.
- **Counts for Prometheus.** With a status port, ``stub_status`` (connections and requests
  served) answers there for the exporter that turns it into metrics; nothing else does.
- **Nothing on disk after start.** Request bodies fit in memory (the buffer is the body limit)
  and responses are never spooled to temporary files, so worker processes need no file access;
  as root they run as ``nobody`` (the master reads the key and opens the logs before that).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from infra.http.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE
from infra.servers.dev_ca import ServerCertificate
from infra.settings import Settings

# Passive health checks: this many failures within the window take an instance out of the
# rotation for the rest of the window.
_MAX_FAILS = 2
_FAIL_TIMEOUT_S = 5
_CONNECT_TIMEOUT_S = 2  # instances are local: a connect that takes longer is a dead instance
_UPSTREAM_KEEPALIVE = 32  # idle connections kept open to each upstream group, per worker
# Shorter than uvicorn's keep-alive (5 s): NGINX must drop an idle connection before the
# instance does, or a command sent on it just as the instance closes it fails after sending.
_UPSTREAM_IDLE_S = 4
_RETRY_AFTER_S = 1
# What the console's pages may load: their own scripts, styles and API, images inline too.
_CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_CONSOLE_HEADERS = (
    ("Content-Security-Policy", f'"{_CONSOLE_CSP}"'),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),  # e-mail links carry tokens in their query string
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
_ASSET_MAX_AGE_S = 365 * 86_400
# The APIs' documentation (dev only; the query API's, since these are GETs).
_API_DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json")
# The console's file types (NGINX's own mime.types is not read: its path varies).
_CONSOLE_TYPES = {
    "text/html": "html",
    "text/css": "css",
    "application/javascript": "js mjs",
    "application/json": "json",
    "image/svg+xml": "svg",
    "image/png": "png",
    "image/x-icon": "ico",
    "font/woff2": "woff2",
    "text/plain": "txt",
}


@dataclass(frozen=True)
class GatewayGuard:
    """The outer guard's limits (from Settings: max_body_bytes and gateway_*)."""

    max_body_bytes: int
    requests_per_s: int
    request_burst: int
    connections_per_address: int
    client_timeout_s: int
    upstream_timeout_s: int

    @classmethod
    def from_settings(cls, settings: Settings) -> GatewayGuard:
        return cls(
            max_body_bytes=settings.max_body_bytes,
            requests_per_s=settings.gateway_requests_per_s,
            request_burst=settings.gateway_request_burst,
            connections_per_address=settings.gateway_connections_per_address,
            client_timeout_s=settings.gateway_client_timeout_s,
            upstream_timeout_s=settings.gateway_upstream_timeout_s,
        )


@dataclass(frozen=True)
class GatewayConfig:
    """Everything the rendered configuration depends on."""

    host: str
    https_port: int
    http_port: int
    write_upstreams: Sequence[str]  # "host:port" of each instance
    read_upstreams: Sequence[str]
    certificate: ServerCertificate
    pid_path: Path
    access_log_path: Path
    guard: GatewayGuard
    console_dir: Path | None = None  # the web console's build (index.html, assets/)
    worker_user: str | None = None  # "user group", when the master runs as root
    status_port: int | None = None  # stub_status for the exporter (infra/servers/nginx_exporter)


@dataclass(frozen=True)
class _Problem:
    status: int
    code: str
    title: str
    detail: str

    def body(self) -> str:
        text = json.dumps(
            {
                "type": PROBLEM_TYPE_BASE + self.code,
                "title": self.title,
                "status": self.status,
                "detail": self.detail,
            }
        )
        # The body sits in a single-quoted NGINX string, where these would end it or expand.
        if any(character in text for character in "'$\\"):
            raise ValueError(f"cannot quote problem text for NGINX: {text}")
        return text


def _problems(config: GatewayConfig) -> list[_Problem]:
    """The errors NGINX itself may answer with (an instance's own errors pass untouched)."""
    return [
        _Problem(400, "bad-request", "Bad request", "The request could not be read."),
        _Problem(404, "not-found", "Not found", "There is no such resource."),
        _Problem(408, "request-timeout", "Request timeout", "The request took too long to send."),
        _Problem(
            413,
            "content-too-large",
            "Content too large",
            f"The request body exceeds {config.guard.max_body_bytes} bytes.",
        ),
        _Problem(
            429,
            "rate-limited",
            "Rate limited",
            "Too many requests or connections from this address; retry later.",
        ),
        _Problem(500, "internal-error", "Internal error", "The gateway failed; retry later."),
        _Problem(502, "bad-gateway", "Bad gateway", "No API instance could answer; retry later."),
        _Problem(503, "service-unavailable", "Service unavailable", "The service is unavailable."),
        _Problem(504, "gateway-timeout", "Gateway timeout", "The API did not answer in time."),
    ]


def render(config: GatewayConfig) -> str:
    """The whole ``nginx.conf``."""
    user = f"user {config.worker_user};\n" if config.worker_user else ""
    return f"""# Generated by infra/servers/nginx.py from the settings; edits are overwritten.
{user}worker_processes auto;
pid {config.pid_path};
error_log stderr crit;
events {{
    worker_connections 4096;
}}
http {{
    server_tokens off;
    default_type application/octet-stream;
    types {{
{_types()}
    }}
    log_format gateway escape=json '{{"time":"$time_iso8601","correlation_id":"$correlation_id",'
        '"method":"$request_method","path":"$uri","status":$status,"bytes":$body_bytes_sent,'
        '"seconds":$request_time,"upstream":"$upstream_addr",'
        '"upstream_status":"$upstream_status","protocol":"$server_protocol"}}';
    access_log {config.access_log_path} gateway;

    # Reads to the query API, everything else to the write API.
    map $request_method $api {{
        GET read_api;
        HEAD read_api;
        default write_api;
    }}
    # How a command may be retried (infra/servers/nginx_config.py says why): "keyed" may
    # be resent to a second instance, "unkeyed" never tried on one; reads, and POST/PATCH
    # without a key (NGINX resends those only when they never reached an instance), "".
    map "$request_method:$http_idempotency_key" $command_retries {{
        "~^(GET|HEAD):" "";
        "~^(POST|PATCH):$" "";
        "~^[A-Z]+:." keyed;
        default unkeyed;
    }}
    map $http_x_correlation_id $correlation_id {{
        "" $request_id;
        default $http_x_correlation_id;
    }}

{_upstream("write_api", config.write_upstreams)}
{_upstream("read_api", config.read_upstreams)}
    limit_req_zone $binary_remote_addr zone=per_address:10m rate={config.guard.requests_per_s}r/s;
    limit_conn_zone $binary_remote_addr zone=connections_per_address:10m;
    limit_req_status 429;
    limit_conn_status 429;

    client_max_body_size {config.guard.max_body_bytes};
    client_body_buffer_size {config.guard.max_body_bytes};
    client_header_timeout {config.guard.client_timeout_s}s;
    client_body_timeout {config.guard.client_timeout_s}s;
    send_timeout {config.guard.client_timeout_s}s;
    keepalive_timeout 65s;

    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Correlation-ID $correlation_id;
    proxy_connect_timeout {_CONNECT_TIMEOUT_S}s;
    proxy_send_timeout {config.guard.client_timeout_s}s;
    proxy_read_timeout {config.guard.upstream_timeout_s}s;
    proxy_next_upstream error timeout;
    proxy_next_upstream_timeout {config.guard.upstream_timeout_s}s;
    proxy_max_temp_file_size 0;

    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:TLS:10m;
    ssl_session_timeout 1h;

    server {{
        listen {config.host}:{config.https_port} ssl http2;
        ssl_certificate {config.certificate.chain_path};
        ssl_certificate_key {config.certificate.key_path};
        limit_req zone=per_address burst={config.guard.request_burst} nodelay;
        limit_conn connections_per_address {config.guard.connections_per_address};
        # Plain HTTP sent to the HTTPS port: point the client at the right scheme.
        error_page 497 =308 https://$host:$server_port$request_uri;
{_error_pages(config)}
        # A command reaches its named location through error_page 418/419, so its own errors
        # (a 502) are error pages of an error page: without this they would be NGINX's HTML.
        recursive_error_pages on;
        error_page 418 = @keyed_command;
        error_page 419 = @unkeyed_command;
        if ($command_retries = keyed) {{
            return 418;
        }}
        if ($command_retries = unkeyed) {{
            return 419;
        }}

        # The APIs.
        location /v1/ {{
            proxy_pass http://$api;
        }}
        location /v1/auth/ {{
            proxy_pass http://write_api;
        }}
        location /.well-known/ {{
            proxy_pass http://write_api;
        }}
        location /health/ {{
            proxy_pass http://$api;
        }}
{_docs_locations()}
        location = /metrics {{
            return 404;
        }}
{_console_locations(config.console_dir)}
        location @keyed_command {{
            proxy_pass http://write_api;
            proxy_next_upstream error timeout non_idempotent;
        }}
        location @unkeyed_command {{
            proxy_pass http://write_api;
            proxy_next_upstream off;
        }}
{_problem_locations(config)}
    }}

    server {{
        listen {config.host}:{config.http_port};
        location / {{
            return 308 https://$host:{config.https_port}$request_uri;
        }}
    }}
{_status_server(config)}}}
"""


def _status_server(config: GatewayConfig) -> str:
    """Connection and request counts (``stub_status``) for the Prometheus exporter, on a port
    of its own that only this machine may read and no client is sent to."""
    if config.status_port is None:
        return ""
    return f"""
    server {{
        listen {config.host}:{config.status_port};
        access_log off;
        allow 127.0.0.1;
        deny all;
        location = /stub_status {{
            stub_status;
        }}
        location / {{
            return 404;
        }}
    }}
"""


def _types() -> str:
    return "\n".join(
        f"        {media_type} {extensions};" for media_type, extensions in _CONSOLE_TYPES.items()
    )


def _docs_locations() -> str:
    return "\n".join(
        f"        location = {path} {{\n            proxy_pass http://$api;\n        }}"
        for path in _API_DOCS_PATHS
    )


def _console_locations(console_dir: Path | None) -> str:
    """The web console's files under ``/``; without a build, 404 problems."""
    if console_dir is None:
        return "        location / {\n            return 404;\n        }"
    shared = [
        # A command sent to a console path is the write API's to refuse (404 or 405 problem).
        "if ($request_method !~ ^(GET|HEAD)$) {",
        "    return 419;",
        "}",
        f"root {console_dir};",
        "gzip on;",
        "gzip_types text/css application/javascript application/json image/svg+xml;",
        *(f"add_header {name} {value} always;" for name, value in _CONSOLE_HEADERS),
    ]
    pages = [
        "try_files $uri /index.html =404;",
        "add_header Cache-Control no-cache always;",
    ]
    assets = [
        "try_files $uri =404;",
        f'add_header Cache-Control "public, max-age={_ASSET_MAX_AGE_S}, immutable" always;',
    ]
    return f"{_location('/', shared + pages)}\n{_location('/assets/', shared + assets)}"


def _location(path: str, directives: list[str]) -> str:
    body = "".join(f"            {directive}\n" for directive in directives)
    return f"        location {path} {{\n{body}        }}"


def _upstream(name: str, servers: Sequence[str]) -> str:
    lines = [f"    upstream {name} {{", "        least_conn;"]
    lines += [
        f"        server {server} max_fails={_MAX_FAILS} fail_timeout={_FAIL_TIMEOUT_S}s;"
        for server in servers
    ]
    lines += [
        f"        keepalive {_UPSTREAM_KEEPALIVE};",
        f"        keepalive_timeout {_UPSTREAM_IDLE_S}s;",
        "    }",
    ]
    return "\n".join(lines)


def _error_pages(config: GatewayConfig) -> str:
    return "\n".join(
        f"        error_page {problem.status} = @problem_{problem.status};"
        for problem in _problems(config)
    )


def _problem_locations(config: GatewayConfig) -> str:
    blocks = []
    for problem in _problems(config):
        retry_after = (
            f"            add_header Retry-After {_RETRY_AFTER_S} always;\n"
            if problem.status in (429, 502, 503)
            else ""
        )
        blocks.append(
            f"        location @problem_{problem.status} {{\n"
            # No types: the path's extension (a missing /assets/x.js) must not pick the type.
            "            types { }\n"
            f"            default_type {PROBLEM_MEDIA_TYPE};\n"
            "            add_header X-Correlation-ID $correlation_id always;\n"
            "            add_header X-Content-Type-Options nosniff always;\n"
            "            add_header Cache-Control no-store always;\n"
            f"{retry_after}"
            f"            return {problem.status} '{problem.body()}';\n"
            "        }"
        )
    return "\n".join(blocks)
