"""The gateway: Debian's NGINX (``/usr/sbin/nginx``) in the foreground on 127.0.0.1, HTTPS with
HTTP/2 on ``port`` and plain HTTP (redirected) on ``http_port``, in front of the API instances.

Its configuration is generated at every start (``infra.servers.nginx_config`` says what it
contains) into ``ROOT/gateway/nginx.conf``, with ``ROOT/gateway/`` as NGINX's prefix (its
temporary directories) and a certificate issued by the development CA (``ROOT/tls``). NGINX's
own messages go to ``ROOT/logs/gateway.log``, one JSON line per request to
``ROOT/logs/gateway-access.log``.

Unlike the other servers it is not started by ``dev up``: it needs the API instances it routes
to, so the supervisor starts it once they answer (``infra.supervisor``).
"""

from __future__ import annotations

import grp
import http.client
import os
import pwd
import shutil
import socket
import ssl
from collections.abc import Sequence
from pathlib import Path

from infra.servers.base import ManagedServer
from infra.servers.dev_ca import DevCA
from infra.servers.nginx_config import GatewayConfig, GatewayGuard, render
from infra.servers.process import spawn

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
        status_port: int | None = None,
    ) -> None:
        super().__init__(root, port)
        self.http_port = http_port
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
            certificate=self.ca.issue_server_certificate(),
            pid_path=self.data_dir / "nginx.pid",
            access_log_path=self.access_log_path,
            guard=self.guard,
            worker_user=_unprivileged_user() if os.geteuid() == 0 else None,
            status_port=self.status_port,
        )
        self.config_path.write_text(render(config))

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
