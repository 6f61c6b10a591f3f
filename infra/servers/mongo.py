"""Local MongoDB-protocol server: SecantusDB (``secantusd-py``) on 127.0.0.1.

Our code talks plain pymongo to it, so a real MongoDB replaces it by changing one URL.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from infra.servers.base import ManagedServer
from infra.servers.process import spawn

_EMPTY_CONFIG = (
    "# Empty on purpose: passing --config stops secantusd-py from picking up a\n"
    "# secantusd.toml from the working or home directory. Flags carry the settings.\n"
)


def _secantusd() -> str:
    beside_python = Path(sys.executable).with_name("secantusd-py")
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("secantusd-py") or "secantusd-py"


class MongoServer(ManagedServer):
    """SecantusDB keeping its WiredTiger files under ``ROOT/mongo``."""

    name = "mongo"

    @property
    def url(self) -> str:
        return f"mongodb://{self.host}:{self.port}/"

    @property
    def address(self) -> str:
        return self.url

    def is_ready(self) -> bool:
        client: MongoClient[dict[str, object]] = MongoClient(
            self.url, serverSelectionTimeoutMS=1000, connectTimeoutMS=1000
        )
        try:
            client.admin.command("ping")
        except PyMongoError:
            return False
        finally:
            client.close()
        return True

    @property
    def _config_path(self) -> Path:
        return self.root / "run" / "secantusd.toml"

    def _prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._config_path.parent.mkdir(parents=True, exist_ok=True)
        self._config_path.write_text(_EMPTY_CONFIG)

    def _launch(self, deadline: float) -> int:
        argv = [
            _secantusd(),
            "--config",
            str(self._config_path),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--storage-path",
            str(self.data_dir),
            "--log-level",
            "WARNING",
        ]
        self._process = spawn(argv, self.log_path, cwd=self.data_dir)
        return self._process.pid
