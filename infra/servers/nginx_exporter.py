"""The gateway's metrics: the NGINX Prometheus exporter (NGINX Inc.'s, version 0.11.0 from
Debian's ``prometheus-nginx-exporter`` package) reading the gateway's ``stub_status`` page on its
private status port and serving ``nginx_up``, ``nginx_connections_*`` and
``nginx_http_requests_total`` on ``/metrics``, on 127.0.0.1.

Why this exporter, and why from Debian: it is the exporter NGINX itself maintains, but its Go
module (``github.com/nginx/nginx-prometheus-exporter``, formerly ``github.com/nginxinc/...``)
is refused by the module proxy we can reach (403, every version), so it cannot be built like
Jaeger and Prometheus. Debian ships the same program (0.11.0, built by Debian's Go team and kept
by its security updates); installing the package would also install and start a system service
listening on every interface, so ``apt-get download`` fetches the package and ``dpkg-deb -x``
unpacks just its binary into ``~/.cache/ledgerline/nginx-prometheus-exporter-0.11.0/``
(``ledgerline dev fetch`` does it; 6 s here, a 10 MB binary). The alternatives were weaker: NGINX's
open-source build has no other metrics source (per-status counts need NGINX Plus or a third-party
module Debian does not ship), and parsing the access log would be a second exporter of our own.

``stub_status`` counts connections (active, reading, writing, waiting, accepted, handled) and
requests, not statuses: the error rates that alerts watch come from the APIs' own metrics.

The exporter takes only flags (and environment variables, which a developer's own must not
override, so they are cleared), and no path of ours would appear on its command line, which is
how ``pid()`` recognises a server's process; so it runs through a symbolic link in its data
directory, ``ROOT/gateway-exporter/nginx-prometheus-exporter``. It is started after the gateway
(it gives up when NGINX does not answer at its start) and stopped with it: the supervisor does
both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import urllib.request
from pathlib import Path

from infra.servers.base import ManagedServer
from infra.servers.go_programs import build_atomically
from infra.servers.kafka import default_cache_dir
from infra.servers.process import spawn

EXPORTER_VERSION = "0.11.0"
DEBIAN_PACKAGE = "prometheus-nginx-exporter"
_BINARY = "prometheus-nginx-exporter"
_DOWNLOAD_TIMEOUT_S = 300.0
# Variables the exporter reads as defaults for its flags.
_EXPORTER_VARIABLES = {
    "NGINX_PLUS",
    "NGINX_RETRIES",
    "NGINX_RETRY_INTERVAL",
    "SCRAPE_URI",
    "SSL_CA_CERT",
    "SSL_CLIENT_CERT",
    "SSL_CLIENT_KEY",
    "SSL_VERIFY",
    "TIMEOUT",
    "CONST_LABELS",
    "LISTEN_ADDRESS",
    "SECURED_METRICS",
    "SSL_SERVER_CERT",
    "SSL_SERVER_KEY",
    "TELEMETRY_PATH",
}


class ExporterUnavailable(RuntimeError):
    """The exporter's package could not be fetched or unpacked; ``str(e)`` is one line."""


def ensure_exporter(cache_dir: Path | None = None) -> Path:
    """The exporter's binary, fetched from Debian's package into the cache unless it is there."""
    install_dir = (
        cache_dir or default_cache_dir()
    ) / f"nginx-prometheus-exporter-{EXPORTER_VERSION}"
    binary = install_dir / _BINARY
    if binary.is_file():
        return binary

    def unpack(partial: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="ledgerline-deb-") as work:
            deb = _download(Path(work))
            version = _run(["dpkg-deb", "--field", str(deb), "Version"], Path(work)).strip()
            if not version.startswith(f"{EXPORTER_VERSION}-"):
                raise ExporterUnavailable(
                    f"Debian's {DEBIAN_PACKAGE} is {version}, not {EXPORTER_VERSION}: "
                    "update EXPORTER_VERSION in infra/servers/nginx_exporter.py"
                )
            _run(["dpkg-deb", "-x", str(deb), str(Path(work) / "root")], Path(work))
            shutil.copy2(Path(work) / "root" / "usr" / "bin" / _BINARY, partial / _BINARY)

    build_atomically(install_dir, unpack)
    return binary


def _download(work: Path) -> Path:
    """``apt-get download`` the package into ``work``; after ``apt-get update`` when the
    package lists do not know it yet (a fresh machine)."""
    try:
        _run(["apt-get", "download", "-q", DEBIAN_PACKAGE], work)
    except ExporterUnavailable:
        if os.geteuid() != 0:
            raise
        _run(["apt-get", "update", "-qq"], work)
        _run(["apt-get", "download", "-q", DEBIAN_PACKAGE], work)
    found = sorted(work.glob(f"{DEBIAN_PACKAGE}_*.deb"))
    if not found:
        raise ExporterUnavailable(f"apt-get download {DEBIAN_PACKAGE} left no package")
    return found[-1]


def _run(argv: list[str], cwd: Path) -> str:
    try:
        completed = subprocess.run(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_DOWNLOAD_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ExporterUnavailable(f"{argv[0]} failed: {exc}") from None
    if completed.returncode != 0:
        lines = [line for line in completed.stderr.splitlines() if line.strip()]
        reason = lines[-1].strip() if lines else f"exit code {completed.returncode}"
        raise ExporterUnavailable(f"{' '.join(argv[:2])} {DEBIAN_PACKAGE} failed: {reason}")
    return completed.stdout


class NginxExporterServer(ManagedServer):
    """The exporter on ``port`` reading ``status_url`` (the gateway's ``stub_status``)."""

    name = "gateway-exporter"
    start_timeout_s = 15.0
    stop_timeout_s = 10.0

    def __init__(
        self, root: Path, port: int, status_url: str = "", *, cache_dir: Path | None = None
    ) -> None:
        super().__init__(root, port)
        self.status_url = status_url
        self.cache_dir = cache_dir or default_cache_dir()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/metrics"

    @property
    def address(self) -> str:
        return self.url

    @property
    def _link(self) -> Path:
        return self.data_dir / _BINARY

    def is_ready(self) -> bool:
        """The exporter answers and sees NGINX (``nginx_up 1``)."""
        try:
            with urllib.request.urlopen(self.url, timeout=2) as response:
                text = response.read().decode()
        except OSError:
            return False
        return "\nnginx_up 1" in f"\n{text}"

    def ensure_binary(self) -> Path:
        try:
            return ensure_exporter(self.cache_dir)
        except ExporterUnavailable as exc:
            raise self._error(str(exc)) from None

    def _prepare(self) -> None:
        if not self.status_url:
            raise self._error("the exporter needs the gateway's stub_status address")
        binary = self.ensure_binary()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._link.unlink(missing_ok=True)
        self._link.symlink_to(binary)

    def _launch(self, deadline: float) -> int:
        argv = [
            str(self._link),
            f"-nginx.scrape-uri={self.status_url}",
            f"-web.listen-address={self.host}:{self.port}",
            "-web.telemetry-path=/metrics",
            "-nginx.timeout=2s",
        ]
        env = {k: v for k, v in os.environ.items() if k not in _EXPORTER_VARIABLES}
        self._process = spawn(argv, self.log_path, cwd=self.data_dir, env=env)
        return self._process.pid
