"""Local Prometheus 3.16 on 127.0.0.1: scrapes every Ledgerline process's ``/metrics`` and the
gateway's exporter, and evaluates the alert rules in ``infra/prometheus/alerts.yml``.

Prometheus and promtool are built from the Go module proxy (``github.com/prometheus/prometheus``
v0.316.0, ``cmd/prometheus`` and ``cmd/promtool``) into ``~/.cache/ledgerline/prometheus-3.16.0/``
by ``infra.servers.go_programs``. Built that way its web UI has no compiled assets (see there);
the HTTP API (``/api/v1/query``, ``/api/v1/targets``, ``/api/v1/rules``, ``/api/v1/alerts``) is
what Ledgerline's tests and a developer's curl use, and works.

Its configuration is generated at every start from the processes it is to scrape
(``infra.servers.prometheus_config``) into ``ROOT/prometheus/prometheus.yml``; the time series
are kept in ``ROOT/prometheus/data`` for ``retention`` (7 days by default: a development stack,
not a monitoring system). With ``lifecycle`` it accepts ``POST /-/reload`` (re-read the
configuration and the rules after editing them) and ``POST /-/quit``. Readiness is ``/-/ready``.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Sequence
from pathlib import Path

from infra.servers.base import ManagedServer
from infra.servers.go_programs import PROMETHEUS, GoBuildError, ensure_program
from infra.servers.kafka import default_cache_dir
from infra.servers.process import spawn
from infra.servers.prometheus_config import ScrapeTarget, render
from infra.servers.scrape_files import targets_dir


def promtool_binary(cache_dir: Path | None = None) -> Path:
    """promtool, built beside Prometheus (building both if needed; GoBuildError if it cannot)."""
    ensure_program(PROMETHEUS, cache_dir)
    return PROMETHEUS.binary(cache_dir, "cmd/promtool")


class PrometheusServer(ManagedServer):
    """Prometheus on ``port`` scraping ``targets``. Stopping and status need no targets."""

    name = "prometheus"
    start_timeout_s = 30.0
    stop_timeout_s = 20.0

    def __init__(
        self,
        root: Path,
        port: int,
        *,
        targets: Sequence[ScrapeTarget] = (),
        lifecycle: bool = False,
        scrape_interval_s: int = 15,
        retention: str = "7d",
        cache_dir: Path | None = None,
    ) -> None:
        super().__init__(root, port)
        self.targets = list(targets)
        self.lifecycle = lifecycle
        self.scrape_interval_s = scrape_interval_s
        self.retention = retention
        self.cache_dir = cache_dir or default_cache_dir()

    @property
    def url(self) -> str:
        """The HTTP API is under ``/api/v1/``."""
        return f"http://{self.host}:{self.port}"

    @property
    def address(self) -> str:
        return self.url

    @property
    def config_path(self) -> Path:
        return self.data_dir / "prometheus.yml"

    @property
    def binary(self) -> Path:
        return PROMETHEUS.binary(self.cache_dir, "cmd/prometheus")

    def is_ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def ensure_binary(self) -> Path:
        """Build Prometheus and promtool into the cache unless they are already there."""
        try:
            ensure_program(PROMETHEUS, self.cache_dir, log_path=self.log_path)
        except GoBuildError as exc:
            raise self._error(str(exc)) from None
        return self.binary

    def _prepare(self) -> None:
        self.ensure_binary()
        (self.data_dir / "data").mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(
            render(self.targets, targets_dir(self.root), interval_s=self.scrape_interval_s)
        )

    def _launch(self, deadline: float) -> int:
        argv = [
            str(self.binary),
            # The config path (under the data directory) is how pid() recognises our process.
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.data_dir / 'data'}",
            f"--storage.tsdb.retention.time={self.retention}",
            f"--web.listen-address={self.host}:{self.port}",
            "--log.level=warn",
        ]
        if self.lifecycle:
            argv.append("--web.enable-lifecycle")
        self._process = spawn(argv, self.log_path, cwd=self.data_dir)
        return self._process.pid
