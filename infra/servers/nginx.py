"""The gateway: Debian's NGINX (``/usr/sbin/nginx``) in the foreground on 127.0.0.1, HTTPS with
HTTP/2 on ``port`` and plain HTTP (redirected) on ``http_port``, in front of the API instances.

Its configuration is generated at every start (``infra.servers.nginx_config`` says what it
contains) into ``ROOT/gateway/nginx.conf``, with ``ROOT/gateway/`` as NGINX's prefix (its
temporary directories) and a certificate issued by the development CA (``ROOT/tls``). NGINX's
own messages go to ``ROOT/logs/gateway.log``, one JSON line per request to
``ROOT/logs/gateway-access.log``.

Unlike the other servers it is not started by ``dev up``: it needs the API instances it routes
to, so the supervisor starts it once they answer (``infra.supervisor``).

It also serves the web console's build (``console_dir``). As root, NGINX's workers run as
``nobody`` and must be able to read it: when a parent directory is closed to other users (a
clone under root's home), a copy made at every start under ``/var/tmp/ledgerline/console/`` is
served instead.
"""

from __future__ import annotations

import grp
import hashlib
import http.client
import pwd
import shutil
import socket
import ssl
from collections.abc import Sequence
from pathlib import Path

import structlog

from infra.servers.base import ManagedServer
from infra.servers.dev_ca import DevCA
from infra.servers.elasticsearch import SHARED_CACHE_DIR, running_as_root, untraversable_parent
from infra.servers.nginx_config import GatewayConfig, GatewayGuard, render
from infra.servers.process import spawn

log = structlog.get_logger()

_DEBIAN_NGINX = Path("/usr/sbin/nginx")  # /usr/sbin is not on every user's PATH
_READY_TIMEOUT_S = 2.0


def nginx_binary() -> str:
    found = shutil.which("nginx")
    return found or str(_DEBIAN_NGINX)


class NginxServer(ManagedServer):
    """NGINX routing to ``write_upstreams`` and ``read_upstreams`` ("host:port" each). Stopping
    and status need neither the upstreams nor the guard; starting needs both."""

    name = "gateway"
    start_timeout_s = 15.0
    stop_timeout_s = 10.0

    def __init__(
        self,
        root: Path,
        port: int,
        http_port: int,
        *,
        write_upstreams: Sequence[str] = (),
        read_upstreams: Sequence[str] = (),
        guard: GatewayGuard | None = None,
        console_dir: Path | None = None,
        status_port: int | None = None,
    ) -> None:
        super().__init__(root, port)
        self.http_port = http_port
        self.console_dir = console_dir
        self.status_port = status_port
        self.write_upstreams = list(write_upstreams)
        self.read_upstreams = list(read_upstreams)
        self.guard = guard
        self.ca = DevCA(self.root / "tls")

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def address(self) -> str:
        return self.url

    @property
    def certificate_path(self) -> Path:
        """The certificate chain it presents (server certificate first), issued at each start."""
        return self.ca.directory / f"{self.name}.pem"

    @property
    def access_log_path(self) -> Path:
        return self.root / "logs" / f"{self.name}-access.log"

    @property
    def config_path(self) -> Path:
        return self.data_dir / "nginx.conf"

    @property
    def status_url(self) -> str | None:
        """NGINX's ``stub_status`` page (for the exporter), when it has a status port."""
        if self.status_port is None:
            return None
        return f"http://{self.host}:{self.status_port}/stub_status"

    def ports(self) -> list[int]:
        extra = [] if self.status_port is None else [self.status_port]
        return [self.port, self.http_port, *extra]

    def is_ready(self) -> bool:
        """Both listeners answer: plain HTTP with its redirect, HTTPS with a TLS handshake
        that verifies against our CA. (Whether an API instance answers behind it is theirs
        to say.)"""
        connection = http.client.HTTPConnection(self.host, self.http_port, timeout=2)
        try:
            connection.request("HEAD", "/")
            if connection.getresponse().status != 308:
                return False
        except OSError:
            return False
        finally:
            connection.close()
        try:
            context = ssl.create_default_context(cafile=str(self.ca.cert_path))
            with (
                socket.create_connection((self.host, self.port), timeout=_READY_TIMEOUT_S) as raw,
                context.wrap_socket(raw, server_hostname=self.host),
            ):
                return True
        except (OSError, ssl.SSLError):
            return False

    def _prepare(self) -> None:
        if self.guard is None or not self.write_upstreams or not self.read_upstreams:
            raise self._error("the gateway needs the API instances' addresses and its limits")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        config = GatewayConfig(
            host=self.host,
            https_port=self.port,
            http_port=self.http_port,
            write_upstreams=self.write_upstreams,
            read_upstreams=self.read_upstreams,
            certificate=self.ca.issue_server_certificate(self.name),
            pid_path=self.data_dir / "nginx.pid",
            access_log_path=self.access_log_path,
            guard=self.guard,
            console_dir=self._served_console_dir(),
            worker_user=_unprivileged_user() if running_as_root() else None,
            status_port=self.status_port,
        )
        self.config_path.write_text(render(config))

    @property
    def _console_copy(self) -> Path:
        """Where this gateway's readable copy of the console goes (one per data directory)."""
        name = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:16]
        return SHARED_CACHE_DIR / "console" / name

    def stop(self, timeout_s: float | None = None) -> bool:
        """Stop NGINX, and remove the copy of the console it served, if it made one."""
        was_running = super().stop(timeout_s)
        shutil.rmtree(self._console_copy, ignore_errors=True)
        return was_running

    def _served_console_dir(self) -> Path | None:
        """The console build NGINX's workers serve: ``console_dir``, or a copy of it they can
        read; None (and a warning) when there is no build."""
        if self.console_dir is None:
            return None
        console = self.console_dir.absolute()
        if not (console / "index.html").is_file():
            log.warning("web_console_not_built", console_dir=str(console))
            return None
        blocked = untraversable_parent(console / "index.html")
        if not running_as_root() or blocked is None:
            return console
        copy = self._console_copy
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(console, copy)
        for path in (SHARED_CACHE_DIR, copy.parent, copy, *copy.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        log.info("web_console_copied", closed=str(blocked), copy=str(copy))
        return copy

    def _launch(self, deadline: float) -> int:
        argv = [
            nginx_binary(),
            # The prefix (our data directory) is also how pid() recognises the master process.
            "-p",
            f"{self.data_dir}/",
            "-c",
            str(self.config_path),
            # Messages from before the configuration is read (a bad directive) go to the log too.
            "-e",
            "stderr",
            "-g",
            "daemon off;",
        ]
        self._process = spawn(argv, self.log_path, cwd=self.data_dir)
        return self._process.pid


def _unprivileged_user() -> str:
    """``nobody`` and its group, as NGINX's ``user`` directive wants them."""
    nobody = pwd.getpwnam("nobody")
    return f"{nobody.pw_name} {grp.getgrgid(nobody.pw_gid).gr_name}"
