"""A PostgreSQL primary and its streaming hot standby on free ports, for fail-over tests and
``bench/dr_failover.py``: made with the same launchers as ``ledgerline dev run --standby``
(``infra.servers.standby``), in a temporary root that is deleted afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
