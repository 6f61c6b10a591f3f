"""Local Redis 7 (Debian's ``redis-server``) on 127.0.0.1, with a config generated per start.

Redis holds only what Ledgerline can lose: rate-limit buckets (a lost bucket is a full one) and
wake-up signals (a lost signal is noticed by the fallback poll). Nothing in it is the only copy
of anything, so persistence is off (no RDB snapshots, no AOF): a restart starts empty, on
purpose, and never spends time loading or writing a dump.

Redis rewrites its process title, which would hide the data directory our pid checks look for
(``process.process_alive``), so the title template names the config file, which lives there.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from infra.servers.base import ManagedServer
from infra.servers.process import spawn

_DEBIAN_BINARY = "/usr/bin/redis-server"


def _redis_server() -> str:
    return shutil.which("redis-server") or _DEBIAN_BINARY


class RedisServer(ManagedServer):
    """Redis keeping nothing on disk but its config, under ``ROOT/redis``."""

    name = "redis"
    start_timeout_s = 10.0

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    @property
    def address(self) -> str:
        return self.url

    @property
    def config_path(self) -> Path:
        return self.data_dir / "redis.conf"

    def is_ready(self) -> bool:
        # A bare RESP PING: the launcher needs no client library, and a loading or
        # misconfigured server answers an error instead of +PONG.
        try:
            with socket.create_connection((self.host, self.port), timeout=1.0) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def _prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(
            "\n".join(
                [
                    f"bind {self.host}",
                    f"port {self.port}",
                    "protected-mode yes",
                    "daemonize no",
                    f'dir "{self.data_dir}"',
                    f'logfile "{self.log_path}"',
                    "loglevel warning",
                    # Nothing here is the only copy of anything (see the module docstring).
                    'save ""',
                    "appendonly no",
                    'proc-title-template "{title} {listen-addr} {config-file}"',
                    "",
                ]
            )
        )

    def _launch(self, deadline: float) -> int:
        self._process = spawn([_redis_server(), str(self.config_path)], self.log_path)
        return self._process.pid
