"""Local Elasticsearch-API server: noida-db with only its Elasticsearch service, on 127.0.0.1.

We run the native ``noida_db/noida-db`` binary directly instead of its Python wrapper so the
pid we track (and signal) is the server itself. ``--only elasticsearch`` is essential: without
it noida-db also starts six other servers on their default ports.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from importlib.resources import files
from pathlib import Path

from infra.servers.base import ManagedServer
from infra.servers.process import spawn


def _noida_binary() -> Path:
    binary = Path(str(files("noida_db").joinpath("noida-db")))
    if not os.access(binary, os.X_OK):
        binary.chmod(0o755)  # as the wrapper does; some installers drop the exec bit
    return binary


class ElasticsearchServer(ManagedServer):
    """noida-db serving the Elasticsearch 8 REST API, data under ``ROOT/elasticsearch``."""

    name = "elasticsearch"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def address(self) -> str:
        return self.url

    def is_ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/", timeout=2) as response:
                body = json.load(response)
        except (OSError, ValueError):
            return False
        return isinstance(body, dict) and "version" in body

    def _prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def _launch(self, deadline: float) -> int:
        argv = [
            str(_noida_binary()),
            "start",
            "--only",
            "elasticsearch",
            "--elasticsearch-port",
            str(self.port),
            "--host",
            self.host,
            "--data-dir",
            str(self.data_dir),
        ]
        self._process = spawn(argv, self.log_path, cwd=self.data_dir)
        return self._process.pid
