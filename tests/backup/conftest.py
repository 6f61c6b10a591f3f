"""A primary of its own for the backup tests (a restore replaces its data directory, so it cannot
be the session's shared PostgreSQL), its WAL streamer, and the CLI pointed at both."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import httpx
import psycopg
import pytest
from typer.testing import CliRunner, Result

from event_store.schema import migrate
from event_store.store import EventStore
from infra.backup.catalog import BackupCatalog
from infra.cli import app
from infra.servers import KafkaServer, PostgresServer, free_port
from tests.polling import wait_for
from tests.server_fixtures import event_store_on, temporary_root


@dataclass
class Primary:
    """A primary PostgreSQL with its backup directory and a running WAL streamer."""

    root: Path
    server: PostgresServer
    env: dict[str, str]
    slot: str = "ledgerline_archive"

    @property
    def url(self) -> str:
        return self.server.url()

    @property
    def catalog(self) -> BackupCatalog:
        return BackupCatalog(self.root / "backups")

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(app, ["backup", *args], env=self.env)

    def store(self) -> AbstractContextManager[EventStore]:
        return event_store_on(self.url)

    def archived(self) -> None:
        """Wait until the archive has flushed everything the server has written."""

        def caught_up() -> bool:
            with psycopg.connect(self.url) as conn:
                row = conn.execute(
                    "select restart_lsn >= pg_current_wal_flush_lsn() from pg_replication_slots"
                    " where slot_name = %s and active",
                    (self.slot,),
                ).fetchone()
            return row == (True,)

        wait_for(caught_up, 30, what="the WAL archive to catch up")


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def primary(kafka_server: KafkaServer) -> Iterator[Primary]:
    with temporary_root() as root:
        server = PostgresServer(root, free_port())
        server.start()
        migrate(server.url())
        env = {
            "LEDGERLINE_DATA_DIR": str(root),
            "LEDGERLINE_POSTGRES_PORT": str(server.port),
            "LEDGERLINE_DATABASE_URL": server.url(),
            "LEDGERLINE_KAFKA_BOOTSTRAP_SERVERS": kafka_server.bootstrap_servers,
            "LEDGERLINE_KAFKA_TOPIC": f"backup-{uuid4().hex[:8]}",
            "LEDGERLINE_LOG_LEVEL": "WARNING",
        }
        primary = Primary(root, server, env)
        # The streamer as `ledgerline dev run` runs it: its own process, logging to its own file
        # (in this process its log lines would mix with the CLI output the tests read).
        health = free_port()
        streamer_env = os.environ | env | {"LEDGERLINE_WAL_ARCHIVER_METRICS_PORT": str(health)}
        with (root / "logs" / "wal-archiver.log").open("ab") as log:
            streamer = subprocess.Popen(
                [sys.executable, "-m", "infra.cli", "backup", "stream"],
                env=streamer_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for(lambda: _ready(health), 30, what="the WAL streamer to be ready")
            yield primary
        finally:
            streamer.terminate()
            streamer.wait(30)
            server.stop()


@pytest.fixture(autouse=True)
def _operator_commands_leave_logging_alone(cli_logging_left_alone: None) -> None:
    """The backup commands run in-process here (``cli_logging_left_alone``)."""
