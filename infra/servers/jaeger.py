"""Local Jaeger (v1.76.0, program ``cmd/jaeger``): receives traces over OTLP and shows them in
its UI and query API, all on 127.0.0.1, keeping them in memory only (the newest 100,000 traces;
a restart starts empty, which is all a development trace store needs).

The program is Jaeger's all-in-one, built on the OpenTelemetry Collector: the module's v1.76.0
tag builds the same ``cmd/jaeger`` as its v2 releases, configured by one YAML file. It is built
from the Go module proxy into ``~/.cache/ledgerline/jaeger-1.76.0/jaeger`` by
``infra.servers.go_programs`` (``ledgerline dev fetch`` does it ahead of the first start).

Its configuration is generated at every start into ``ROOT/jaeger/config.yaml`` (JSON, which is
YAML too, so no YAML library is needed at run time). It differs from the built-in all-in-one
configuration in what it leaves out: only the OTLP receivers (gRPC on ``port``, HTTP on
``otlp_http_port``; Ledgerline's processes export OTLP, and nothing else should listen), no
Zipkin or legacy Jaeger receivers, no remote sampling, zPages, expvar or health-check
extensions, no metrics of its own (the collector would otherwise bind 8888), and the query
service does not trace itself (it would export to whatever OTLP endpoint the environment names).
Every listener binds 127.0.0.1 on a configured port: the UI and its HTTP API
(``/api/services``, ``/api/traces``, ``/api/v3/...``) on ``ui_port``, the query gRPC API on
``query_grpc_port``.

Readiness is the query API answering ``/api/services`` *and* both OTLP ports accepting, since
the receivers and the query extension start independently.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from infra.servers.base import ManagedServer
from infra.servers.go_programs import JAEGER, GoBuildError, ensure_program
from infra.servers.kafka import default_cache_dir
from infra.servers.process import port_accepts, spawn

MAX_TRACES = 100_000


class JaegerServer(ManagedServer):
    """Jaeger with OTLP/gRPC on ``port``, OTLP/HTTP on ``otlp_http_port``, the UI and query
    HTTP API on ``ui_port`` and the query gRPC API on ``query_grpc_port``."""

    name = "jaeger"
    start_timeout_s = 30.0
    stop_timeout_s = 10.0

    def __init__(
        self,
        root: Path,
        port: int,
        otlp_http_port: int,
        ui_port: int,
        query_grpc_port: int,
        *,
        cache_dir: Path | None = None,
    ) -> None:
        super().__init__(root, port)
        self.otlp_http_port = otlp_http_port
        self.ui_port = ui_port
        self.query_grpc_port = query_grpc_port
        self.cache_dir = cache_dir or default_cache_dir()

    @property
    def url(self) -> str:
        """The UI; the query API is under ``/api/``."""
        return f"http://{self.host}:{self.ui_port}"

    @property
    def address(self) -> str:
        return self.url

    @property
    def otlp_grpc_endpoint(self) -> str:
        """Where an OTLP/gRPC exporter sends spans (``OTEL_EXPORTER_OTLP_ENDPOINT``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def otlp_http_endpoint(self) -> str:
        """Where an OTLP/HTTP exporter sends spans (it appends ``/v1/traces``)."""
        return f"http://{self.host}:{self.otlp_http_port}"

    @property
    def config_path(self) -> Path:
        return self.data_dir / "config.yaml"

    @property
    def binary(self) -> Path:
        return JAEGER.binary(self.cache_dir)

    def ports(self) -> list[int]:
        return [self.port, self.otlp_http_port, self.ui_port, self.query_grpc_port]

    def is_ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/services", timeout=2) as response:
                if response.status != 200:
                    return False
        except OSError:
            return False
        return port_accepts(self.port, self.host) and port_accepts(self.otlp_http_port, self.host)

    def ensure_binary(self) -> Path:
        """Build Jaeger into the cache unless it is already there."""
        try:
            ensure_program(JAEGER, self.cache_dir, log_path=self.log_path)
        except GoBuildError as exc:
            raise self._error(str(exc)) from None
        return self.binary

    def _prepare(self) -> None:
        self.ensure_binary()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(json.dumps(self._config(), indent=2) + "\n")

    def _config(self) -> dict[str, Any]:
        def endpoint(port: int) -> str:
            return f"{self.host}:{port}"

        return {
            "service": {
                "extensions": ["jaeger_storage", "jaeger_query"],
                "pipelines": {
                    "traces": {
                        "receivers": ["otlp"],
                        "processors": ["batch"],
                        "exporters": ["jaeger_storage_exporter"],
                    }
                },
                "telemetry": {
                    "resource": {"service.name": "jaeger"},
                    "metrics": {"level": "none"},
                    "logs": {"level": "info"},
                },
            },
            "extensions": {
                "jaeger_storage": {"backends": {"memory": {"memory": {"max_traces": MAX_TRACES}}}},
                "jaeger_query": {
                    "storage": {"traces": "memory"},
                    "enable_tracing": False,
                    "http": {"endpoint": endpoint(self.ui_port)},
                    "grpc": {"endpoint": endpoint(self.query_grpc_port)},
                },
            },
            "receivers": {
                "otlp": {
                    "protocols": {
                        "grpc": {"endpoint": endpoint(self.port)},
                        "http": {"endpoint": endpoint(self.otlp_http_port)},
                    }
                }
            },
            "processors": {"batch": {}},
            "exporters": {"jaeger_storage_exporter": {"trace_storage": "memory"}},
        }

    def _launch(self, deadline: float) -> int:
        # The config path (under the data directory) is how pid() recognises our process.
        argv = [str(self.binary), "--config", str(self.config_path)]
        self._process = spawn(argv, self.log_path, cwd=self.data_dir)
        return self._process.pid
