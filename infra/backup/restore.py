"""Point-in-time recovery: a backup chain plus the WAL archive becomes a running server.

Steps: unpack the chain's tar files and ``pg_combinebackup`` them into a staging directory next
to the target data directory; put the WAL the recovery needs into its ``pg_wal`` (the last
backup's own WAL, then the archive's segments, the one pg_receivewal was still writing
(``.partial``) under its final name, and every timeline history file); write the recovery
settings; swap the staging directory in (a data directory that was there is kept beside it, never
deleted); start the server and wait until recovery has ended and it has promoted itself.

The WAL is copied into ``pg_wal`` rather than fetched by ``restore_command`` because the archive is
written by whoever runs pg_receivewal (root, here), with mode 0600, while the server runs as
another OS user: copying as the owner and handing the copies to the server's user avoids opening
the archive to it. PostgreSQL still insists on a ``restore_command`` for targeted recovery;
``false`` makes it read each segment from ``pg_wal`` instead.

Targets: the latest point (all WAL there is), a time (``recovery_target_time``), or a transaction
(``recovery_target_xid``, inclusive), which is what an event-store position maps to: every event
row records the transaction that wrote it, so "up to position P" means "up to and including the
commit of P's transaction" (and every transaction that committed before it, whatever its
positions). Positions are handed out at insert but become visible at commit, in another order,
so no LSN or time is as exact.
"""

from __future__ import annotations

import os
import pwd
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import structlog

from infra.backup.catalog import BackupCatalog, BackupInfo, BackupNotFound, segment_name
from infra.backup.tools import run_tool
from infra.servers import PostgresServer, ServerStartError, free_port
from infra.servers.postgres import OS_USER_WHEN_ROOT

log = structlog.get_logger(__name__)

Phase = Callable[[str, str], None]  # (phase, detail): what the CLI prints as it goes


class RestoreRefused(Exception):
    """The restore cannot go ahead; ``str(e)`` is the one line to show the operator."""


@dataclass(frozen=True)
class RecoveryTarget:
    """Where recovery stops: the latest point when neither is set."""

    time: datetime | None = None
    xid: int | None = None

    def settings(self) -> dict[str, str]:
        if self.time is not None:
            return {"recovery_target_time": self.time.isoformat()}
        if self.xid is not None:
            return {"recovery_target_xid": str(self.xid), "recovery_target_inclusive": "on"}
        return {}

    def describe(self) -> str:
        if self.time is not None:
            return f"time {self.time.isoformat()}"
        if self.xid is not None:
            return f"transaction {self.xid}"
        return "latest"


def choose_backup(catalog: BackupCatalog, target: RecoveryTarget) -> BackupInfo:
    """The newest backup that can be rolled forward to ``target``."""
    backups = catalog.backups()
    if not backups:
        raise BackupNotFound(f"no backups in {catalog.root}: run `ledgerline backup create` first")
    eligible = backups
    if target.time is not None:
        moment = target.time
        eligible = [info for info in backups if info.finished < moment]
        if not eligible:
            raise RestoreRefused(
                f"{moment.isoformat()} is before the oldest backup was complete "
                f"({backups[0].finished_at}); nothing can be restored to it"
            )
    elif target.xid is not None:
        xid = target.xid
        eligible = [info for info in backups if not info.sees(xid)]
        if not eligible:
            raise RestoreRefused(
                f"transaction {xid} committed before the oldest backup "
                f"({backups[0].id}) started; nothing can be restored to it"
            )
    return eligible[-1]


def restore_into(
    catalog: BackupCatalog,
    info: BackupInfo,
    server: PostgresServer,
    target: RecoveryTarget,
    phase: Phase,
    *,
    timeout_s: float = 1800.0,
) -> Path | None:
    """Restore ``info`` (and its chain) into ``server``'s data directory, rolled forward to
    ``target``, and leave the server running and promoted. Returns where the data directory
    that was there before now is (None if there was none)."""
    data_dir = server.data_dir
    staging = data_dir.with_name(data_dir.name + ".restoring")
    _materialise(catalog, catalog.chain(info), staging, phase)
    _write_recovery_settings(staging, target)
    _hand_to_server_user(staging)
    kept = None
    if data_dir.exists():
        kept = data_dir.with_name(f"{data_dir.name}.replaced-{datetime.now(UTC):%Y%m%dT%H%M%S%f}")
        data_dir.rename(kept)
    staging.rename(data_dir)
    phase("recovering", f"replaying WAL to {target.describe()}")
    try:
        _recover(catalog, info, server, target, phase, timeout_s)
    except (ServerStartError, RestoreRefused) as error:
        if kept is None:
            raise
        raise RestoreRefused(f"{error}; the data directory it replaced is kept at {kept}") from None
    with psycopg.connect(server.url("postgres"), autocommit=True, connect_timeout=5) as conn:
        # Recovery settings would otherwise stay in postgresql.auto.conf for every later start.
        for name in (*_RECOVERY_ONLY, *_TARGET_SETTINGS):
            conn.execute(f"alter system reset {name}")
        conn.execute("select pg_reload_conf()")
    return kept


def _recover(
    catalog: BackupCatalog,
    info: BackupInfo,
    server: PostgresServer,
    target: RecoveryTarget,
    phase: Phase,
    timeout_s: float,
) -> None:
    """Start the server on the restored data directory and wait until it has promoted."""
    data_dir = server.data_dir
    staging = data_dir.with_name(data_dir.name + ".restoring")
    try:
        server.start(timeout_s=timeout_s)
    except ServerStartError as error:
        if target.time is None or _TARGET_NOT_REACHED not in error.reason:
            raise
        # No commit after the time is in the WAL: the state at that time is the latest one.
        # (PostgreSQL 13+ refuses to end a targeted recovery early rather than guess.)
        phase("recovering", "the WAL archive ends before that time: replaying all of it")
        shutil.rmtree(data_dir)
        _materialise(catalog, catalog.chain(info), staging, phase)
        _write_recovery_settings(staging, RecoveryTarget())
        _hand_to_server_user(staging)
        staging.rename(data_dir)
        server.start(timeout_s=timeout_s)
    _wait_promoted(server, timeout_s)


_TARGET_NOT_REACHED = "recovery ended before configured recovery target was reached"
_RECOVERY_ONLY = ("restore_command", "recovery_target_action", "synchronous_standby_names")
_TARGET_SETTINGS = (
    "recovery_target_time",
    "recovery_target_xid",
    "recovery_target_inclusive",
    "recovery_target_timeline",
)


@contextmanager
def scratch_server(
    catalog: BackupCatalog, info: BackupInfo, target: RecoveryTarget, phase: Phase
) -> Iterator[PostgresServer]:
    """``info`` restored into a throwaway server (temporary directory, free port), running while
    the block runs, then stopped and deleted."""
    root = Path(tempfile.mkdtemp(prefix="ledgerline-scratch-"))
    server = PostgresServer(root, free_port())
    try:
        restore_into(catalog, info, server, target, phase)
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def transaction_of_position(database_url: str, position: int) -> int | None:
    """The transaction that wrote the event at ``position`` (None if there is no such event)."""
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        row = conn.execute(
            "select tx_id::text::int8 from events where position = %s", (position,)
        ).fetchone()
    return None if row is None else int(row[0])


def _materialise(
    catalog: BackupCatalog, chain: list[BackupInfo], staging: Path, phase: Phase
) -> None:
    shutil.rmtree(staging, ignore_errors=True)
    unpacked = staging.with_name(staging.name + ".unpacked")
    shutil.rmtree(unpacked, ignore_errors=True)
    try:
        directories = []
        for info in chain:
            phase("unpacking", info.id)
            source, into = catalog.path(info.id), unpacked / info.id
            into.mkdir(parents=True)
            with tarfile.open(source / "base.tar.gz") as archive:
                archive.extractall(into, filter="fully_trusted")
            shutil.copy2(source / "backup_manifest", into / "backup_manifest")
            directories.append(into)
        if len(directories) == 1:
            directories[0].rename(staging)
        else:
            phase("combining", f"{len(directories)} backups with pg_combinebackup")
            run_tool("pg_combinebackup", [*map(str, directories), "-o", str(staging)])
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)
    last = chain[-1]
    wal = staging / "pg_wal"
    wal.mkdir(exist_ok=True)
    with tarfile.open(catalog.path(last.id) / "pg_wal.tar.gz") as archive:
        archive.extractall(wal, filter="fully_trusted")
    copied = _copy_archived_wal(catalog.wal_dir, wal, first_segment=segment_name(last.start_lsn))
    phase("wal", f"{copied} archived WAL files after {last.start_lsn}")


def _copy_archived_wal(archive: Path, wal: Path, *, first_segment: str) -> int:
    if not archive.is_dir():
        return 0
    copied = 0
    for source in sorted(archive.iterdir()):
        name = source.name.removesuffix(".partial")
        wanted = name.endswith(".history") or (len(name) == 24 and name[8:] >= first_segment)
        if not wanted:
            continue
        if source.name.endswith(".partial") and (archive / name).exists():
            continue  # the segment was finished after all
        shutil.copyfile(source, wal / name)
        copied += 1
    return copied


def _write_recovery_settings(data_dir: Path, target: RecoveryTarget) -> None:
    lines = {
        "restore_command": "false",  # every segment is in pg_wal already: see the docstring
        "recovery_target_action": "promote",
        "recovery_target_timeline": "latest",
        # A backup of a primary with a synchronous standby carries its name: the restored server
        # has no standby (`dev run --standby` makes one again), and would wait for it forever.
        "synchronous_standby_names": "",
        **target.settings(),
    }
    with (data_dir / "postgresql.auto.conf").open("a") as conf:
        conf.write("# written by ledgerline backup restore; reset once promoted\n")
        for name, value in lines.items():
            conf.write(f"{name} = '{value}'\n")
    (data_dir / "recovery.signal").touch()
    (data_dir / "standby.signal").unlink(missing_ok=True)


def _hand_to_server_user(data_dir: Path) -> None:
    """PostgreSQL wants its data directory private (0700) and, as root, owned by its OS user."""
    data_dir.chmod(0o700)
    if os.geteuid() != 0:
        return
    entry = pwd.getpwnam(OS_USER_WHEN_ROOT)
    for folder, dirs, files in os.walk(data_dir):
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        for name in (*dirs, *files):
            os.chown(os.path.join(folder, name), entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def _wait_promoted(server: PostgresServer, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.pid() is None:
            raise RestoreRefused(f"recovery failed: {_last_fatal(server)}")
        try:
            with psycopg.connect(server.url("postgres"), connect_timeout=2) as conn:
                row = conn.execute("select pg_is_in_recovery()").fetchone()
            if row == (False,):
                return
        except psycopg.OperationalError:
            pass  # not accepting connections yet
        time.sleep(0.2)
    raise RestoreRefused(
        f"recovery did not finish within {timeout_s:.0f} s (log: {server.log_path})"
    )


def _last_fatal(server: PostgresServer) -> str:
    try:
        lines = server.log_path.read_text(errors="replace").splitlines()
    except OSError:
        return f"see {server.log_path}"
    fatal = [line for line in lines if "FATAL" in line or "PANIC" in line]
    return (fatal[-1].split(":  ", 1)[-1] if fatal else f"see {server.log_path}")[:300]
