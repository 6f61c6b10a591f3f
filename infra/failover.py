"""Fail-over to the hot standby: fence the old primary, promote the standby (``ledgerline db
failover``).

How Ledgerline processes find the new primary
---------------------------------------------
Every process connects with one libpq connection string that lists both servers and asks for the
writable one::

    postgresql://postgres@127.0.0.1:PRIMARY,127.0.0.1:STANDBY/ledgerline?target_session_attrs=read-write

(``Settings.database_url`` builds it when ``LEDGERLINE_STANDBY`` is on). libpq tries the hosts in
order and keeps the first that accepts writes, so a standby in recovery is passed over and a
promoted one is taken. Nothing has to be told about the fail-over: a connection to the lost
primary fails, the pool (``event_store.connection``) discards it and keeps trying to open a new
one (a fresh attempt every second or two), which lands on the promoted standby; the relay and the
notifier retry their batch (``StoreUnavailable``), the write API answers 503 with Retry-After
meanwhile and a client's retry with the same idempotency key is answered once. We chose this
over the alternatives because it has no moving part of its own: a configuration file that
processes re-read needs a watcher in every process and a way to hand the new address to all of
them at once, and a proxy (PgBouncer, HAProxy) is one more server that must itself be highly
available and told about the promotion.

Fencing: the old primary never takes writes again
-------------------------------------------------
The connection string alone would be a split-brain machine: an old primary restarted as a
read-write server is the first host listed, and processes would write to it again. So before it
promotes, ``fail_over`` stops the old primary if it is running (a fast shutdown, which also sends
its last WAL to the standby; SIGKILL when that hangs) and refuses to go on if something answers
on its port that it cannot stop. It then leaves in the old data directory, when there is one,
``standby.signal`` (a restart comes back in recovery, read-only), ``default_transaction_read_only
= on`` (read-only even if someone deletes the signal file; libpq's ``read-write`` check looks at
both) and a ``LEDGERLINE_FENCED`` note saying why. A fenced server answers reads but libpq never
picks it for ``read-write``. ``ledgerline db new-standby`` (``infra.standby_roles``) then sets it
aside and makes a new standby of the promoted server in its place, on its port.

Ordering across the promotion
-----------------------------
The relay's commit-order horizon holds because a promoted standby continues the primary's
transaction ids (it replayed them all; its next id is above every id in the WAL) and, with
``synchronous_commit = remote_apply``, every commit a reader on the primary could see had already
been replayed on the standby. So the relay's checkpoint (transaction id, position) is below every
transaction the new primary starts, and nothing it has published is missing there. With an
asynchronous standby the last commits before the loss may be missing (RPO > 0) and events the
relay had already sent to Kafka may not exist on the new primary; that case is a restore to an
earlier point and needs the new-epoch handling of the backup runbook.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg
import structlog

from infra.servers.postgres import PostgresServer
from infra.servers.process import port_in_use
from infra.servers.standby import StandbyServer

log = structlog.get_logger(__name__)

FENCE_MARKER = "LEDGERLINE_FENCED"
PROMOTE_TIMEOUT_S = 60


class FailoverError(Exception):
    """The fail-over cannot be done; ``str(e)`` is the one line to show the operator."""


@dataclass(frozen=True)
class FailoverReport:
    promoted: str  # host:port of the new primary
    old_primary: str  # what became of the old one
    seconds: float


def fail_over(primary: PostgresServer, standby: StandbyServer) -> FailoverReport:
    """Check the standby can take over, fence ``primary``, promote ``standby``."""
    began = time.monotonic()
    where = f"{standby.host}:{standby.port}"
    if not standby.exists():
        raise FailoverError(
            f"no standby configured in {standby.data_dir}"
            " (start one with `ledgerline dev run --standby`)"
        )
    if (standby.data_dir / FENCE_MARKER).exists():
        raise FailoverError(
            f"the server at {where} is the old primary, fenced by an earlier fail-over: make a"
            " new standby first (`ledgerline db new-standby`); nothing was changed"
        )
    try:
        in_recovery = standby.in_recovery()
    except psycopg.Error:
        raise FailoverError(
            f"the standby at {where} does not answer; nothing was changed"
        ) from None
    if not in_recovery:
        raise FailoverError(f"the standby at {where} is already promoted; nothing to do")
    old_primary = fence(primary)
    promote(standby)
    seconds = time.monotonic() - began
    log.warning("failed_over", promoted=where, old_primary=old_primary, seconds=round(seconds, 2))
    return FailoverReport(where, old_primary, seconds)


def fence(primary: PostgresServer) -> str:
    """Stop ``primary`` and make sure it can never come back read-write; says what it did."""
    was_running = primary.pid() is not None
    if was_running:
        primary.stop(timeout_s=10)  # fast shutdown, SIGKILL of its group if that hangs
    if port_in_use(primary.port, primary.host):
        # Not our process (no pid file of ours names it): we cannot stop it, and promoting
        # beside a live primary is how split brain starts.
        raise FailoverError(
            f"something still answers on the old primary's port {primary.port} and it is not a "
            "server this stack started; stop it first; nothing was promoted"
        )
    data = primary.data_dir
    if not (data / "PG_VERSION").exists():
        return "gone (no data directory left to fence)"
    (data / "standby.signal").touch()
    with (data / "postgresql.auto.conf").open("a") as conf:
        conf.write("# fenced by ledgerline db failover\ndefault_transaction_read_only = on\n")
    (data / FENCE_MARKER).write_text(
        f"Fenced at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} by `ledgerline db "
        "failover`: another server was promoted in its place. This directory comes back only "
        "read-only (standby.signal, default_transaction_read_only). Delete it and make a new "
        "standby from the promoted server instead of starting it.\n"
    )
    what = "stopped and fenced" if was_running else "not running; fenced"
    return f"{what} (restarts read-only)"


def promote(standby: StandbyServer) -> None:
    """``pg_promote()`` and wait until the server leaves recovery."""
    try:
        with psycopg.connect(standby.url("postgres"), autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("select pg_promote(true, %s)", (PROMOTE_TIMEOUT_S,)).fetchone()
    except psycopg.Error as error:
        reason = " ".join(str(error).split())
        raise FailoverError(f"promoting the standby failed: {reason}") from None
    if not (row and row[0]):
        raise FailoverError(
            f"the standby did not finish promotion within {PROMOTE_TIMEOUT_S}s"
            f" (log: {standby.log_path})"
        )
