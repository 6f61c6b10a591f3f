"""A PostgreSQL primary and its streaming hot standby on free ports, for fail-over tests and
``bench/dr_failover.py``: made with the same launchers as ``ledgerline dev run --standby``
(``infra.servers.standby``), in a temporary root that is deleted afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from event_store.schema import migrate
from infra.servers import PostgresServer, free_ports
from infra.servers.standby import StandbyServer, start_standby
from infra.settings import Settings
from tests.server_fixtures import temporary_root


@dataclass
class Pair:
    root: Path
    primary: PostgresServer
    standby: StandbyServer

    @property
    def url(self) -> str:
        """The connection string every process uses: both hosts, the writable one wins."""
        return self.settings().database_url

    def settings(self, **overrides: object) -> Settings:
        """Settings naming this pair (data_dir, both ports, standby on) and ``overrides``."""
        fields: dict[str, object] = {
            "data_dir": self.root,
            "postgres_port": self.primary.port,
            "standby_port": self.standby.port,
            "standby": True,
        }
        return Settings(**(fields | overrides))  # type: ignore[arg-type]


@contextmanager
def primary_and_standby(*, synchronous: bool = True) -> Iterator[Pair]:
    """A migrated primary (database ``ledgerline``) and its standby, both stopped on exit."""
    with temporary_root() as root:
        primary_port, standby_port = free_ports(2)
        primary = PostgresServer(root, primary_port)
        standby = StandbyServer(root, standby_port, primary)
        try:
            primary.start()
            migrate(primary.url())  # before the copy, so the standby starts with the schema
            start_standby(standby, synchronous=synchronous)
            yield Pair(root, primary, standby)
        finally:
            standby.stop()
            primary.stop()


def write_mark(url: str, value: int) -> int:
    """Insert ``value`` through ``url``; the port of the server that took it."""
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        conn.execute("create table if not exists marks (value int)")
        conn.execute("insert into marks values (%s)", (value,))
        return conn.info.port


def marks(url: str) -> list[int]:
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        return [row[0] for row in conn.execute("select value from marks order by value")]


def ledgerline(pair: Pair, *args: str) -> subprocess.CompletedProcess[str]:
    """``ledgerline ARGS`` as an operator runs it, on this pair's directory and ports."""
    environment = os.environ | {
        "LEDGERLINE_DATA_DIR": str(pair.root),
        "LEDGERLINE_POSTGRES_PORT": str(pair.primary.port),
        "LEDGERLINE_STANDBY_PORT": str(pair.standby.port),
    }
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def refused_in_one_line(completed: subprocess.CompletedProcess[str], words: str) -> None:
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], lines
