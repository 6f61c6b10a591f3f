"""A small HTTP endpoint for the non-HTTP processes (relay, projectors): ``/metrics`` in the
Prometheus text format (of the registry its owner gives: ``infra.metric_families``),
``/health/live`` and ``/health/ready``.

The standard library's threading server is enough here: it serves a scraper and a probe, not
traffic, and keeps these processes free of a web framework.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = structlog.get_logger(__name__)

ReadyCheck = Callable[[], None]  # raises when a server this process needs does not answer


def check_kafka_reachable(bootstrap_servers: str, timeout_s: float = 2.0) -> None:
    """Readiness probe: some bootstrap broker accepts a TCP connection (raises otherwise)."""
    errors = []
    for address in bootstrap_servers.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s).close()
            return
        except OSError as error:
            errors.append(f"{address}: {error}")
    raise ConnectionError("no Kafka broker answers: " + "; ".join(errors))


def check_url_reachable(url: str, timeout_s: float = 2.0) -> None:
    """Readiness probe for a server given by URL (mongodb://h:p/, http://h:p): TCP connect."""
    parsed = urlsplit(url)
    default_port = {"http": 80, "https": 443, "mongodb": 27017}.get(parsed.scheme, 0)
    try:
        host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
        socket.create_connection((host, port), timeout=timeout_s).close()
    except (OSError, ValueError) as error:
        raise ConnectionError(
            f"{parsed.scheme}://{parsed.netloc} does not answer: {error}"
        ) from error


class ProcessEndpoint:
    """Serves on ``host:port`` from a daemon thread until ``close()``."""

    def __init__(
        self,
        host: str,
        port: int,
        ready: ReadyCheck,
        registry: CollectorRegistry,
    ) -> None:
        handler = _handler(ready, registry)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="process-endpoint", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> ProcessEndpoint:
        self._thread.start()
        log.info("process_endpoint_listening", port=self.port)
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(ready: ReadyCheck, registry: CollectorRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._send(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif self.path == "/health/live":
                self._json(200, {"status": "live"})
            elif self.path == "/health/ready":
                try:
                    ready()
                except Exception as error:  # any failure means "not ready", reported, not raised
                    self._json(503, {"status": "not ready", "detail": str(error)})
                else:
                    self._json(200, {"status": "ready"})
            else:
                self._json(404, {"status": "not found"})

        def _json(self, status: int, body: dict[str, str]) -> None:
            self._send(status, json.dumps(body).encode(), "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # scrapes and probes would drown the process's own log

    return Handler
