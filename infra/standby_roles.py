"""The two PostgreSQL servers of a stack with a hot standby, whichever role each has now, and a
new standby after a fail-over (``ledgerline db new-standby``).

A stack has two places for PostgreSQL: ``ROOT/postgres`` on ``LEDGERLINE_POSTGRES_PORT`` and
``ROOT/standby`` on ``LEDGERLINE_STANDBY_PORT``. They begin as primary and standby. A fail-over
(``infra.failover``) promotes the standby and fences the old primary, so the roles are swapped and
the fenced directory is no standby to fail over to. ``new_standby`` makes one in its place while
everything runs: the fenced directory is kept aside (``postgres.fenced-<time>``), a base backup of
the running primary goes where it was, on the same port, and the primary waits for it again
(synchronously, unless ``LEDGERLINE_SYNCHRONOUS_STANDBY`` is off). A second fail-over then goes
the other way. The connection string that lists both hosts (``Settings.database_url``) needs no
change at any point: libpq takes whichever accepts writes.

Roles are read from the data directories, so they are known with the servers stopped: the roles
are swapped when ``ROOT/standby`` holds a promoted server (no ``standby.signal``) and
``ROOT/postgres`` holds none that could be primary (no cluster, or one with ``standby.signal``:
fenced, or a standby made by ``new_standby``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import structlog

from infra.failover import FENCE_MARKER
from infra.servers.base import ServerStartError
from infra.servers.postgres import PostgresServer
from infra.servers.process import port_in_use
from infra.servers.standby import StandbyServer, start_standby
from infra.settings import Settings

log = structlog.get_logger(__name__)

PRIMARY_PLACE, STANDBY_PLACE = "postgres", "standby"


@dataclass(frozen=True)
class Roles:
    primary: PostgresServer
    standby: StandbyServer
    swapped: bool  # True after an odd number of fail-overs: the primary lives in ROOT/standby


def _has_cluster(directory: Path) -> bool:
    return (directory / "PG_VERSION").exists()


def _in_recovery_on_start(directory: Path) -> bool:
    return (directory / "standby.signal").exists()


def roles(settings: Settings) -> Roles:
    """Which place holds the primary and which the standby (see the module docstring)."""
    root = settings.data_dir
    first, second = root / PRIMARY_PLACE, root / STANDBY_PLACE
    swapped = (
        _has_cluster(second)
        and not _in_recovery_on_start(second)
        and (not _has_cluster(first) or _in_recovery_on_start(first))
    )
    places = [(PRIMARY_PLACE, settings.postgres_port), (STANDBY_PLACE, settings.standby_port)]
    if swapped:
        places.reverse()
    (primary_name, primary_port), (standby_name, standby_port) = places
    database = settings.postgres_database
    primary = PostgresServer(root, primary_port, database=database, name=primary_name)
    standby = StandbyServer(root, standby_port, primary, database=database, name=standby_name)
    return Roles(primary, standby, swapped)


def is_fenced(server: PostgresServer) -> bool:
    return (server.data_dir / FENCE_MARKER).exists()


class NewStandbyError(Exception):
    """No new standby can be made; ``str(e)`` is the one line to show the operator."""


@dataclass(frozen=True)
class NewStandbyReport:
    standby: str  # host:port
    primary: str
    how: str  # as start_standby says it
    kept: Path | None  # where the fenced directory went


def new_standby(settings: Settings) -> NewStandbyReport:
    """Make a streaming standby of the running primary in the other place (see the module
    docstring); refuses, changing nothing, when the primary does not answer or a standby that
    is not fenced is already there."""
    pair = roles(settings)
    primary, standby = pair.primary, pair.standby
    where = f"{primary.host}:{primary.port}"
    try:
        with psycopg.connect(primary.url("postgres"), autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("select pg_is_in_recovery()").fetchone()
    except psycopg.Error:
        raise NewStandbyError(
            f"the primary at {where} does not answer; nothing was changed"
        ) from None
    if row is None or row[0]:
        raise NewStandbyError(f"the server at {where} is in recovery: no primary to copy")
    if standby.exists() and not is_fenced(standby):
        raise NewStandbyError(
            f"a standby already exists in {standby.data_dir} (port {standby.port}); start it"
            " with `ledgerline dev run --standby`, or delete it to make a new one"
        )
    kept = None
    if standby.exists():
        standby.stop()  # the fenced old primary may have been restarted, read-only
        if port_in_use(standby.port, standby.host):
            raise NewStandbyError(
                f"something still answers on port {standby.port} and it is not a server this"
                " stack started; stop it first; nothing was changed"
            )
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        kept = standby.data_dir.with_name(f"{standby.data_dir.name}.fenced-{stamp}")
        standby.data_dir.rename(kept)
    try:
        how = start_standby(standby, synchronous=settings.synchronous_standby)
    except (TimeoutError, psycopg.Error, ServerStartError) as error:
        reason = " ".join(str(error).split())
        raise NewStandbyError(f"the new standby did not come up: {reason}") from None
    log.warning("standby_made", standby=standby.address, primary=where, how=how)
    return NewStandbyReport(f"{standby.host}:{standby.port}", where, how, kept)
