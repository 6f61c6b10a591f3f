"""The backup directory: base backups, their metadata, the WAL archive, and retention.

Layout (``Settings.backup_dir``, default ``.local/backups/``)::

    base/<id>/base.tar.gz, pg_wal.tar.gz, backup_manifest   what pg_basebackup wrote (tar, gzip)
    base/<id>/ledgerline.json                                our metadata (``BackupInfo``)
    wal/                                                     pg_receivewal's archive

A backup is full or incremental (``pg_basebackup --incremental``, PostgreSQL 17+, against its
parent's manifest; needs ``summarize_wal``). Backups are tar + gzip, so they are compressed and
every file is listed with its SHA-256 in ``backup_manifest``, which ``pg_verifybackup`` checks;
``pg_combinebackup`` only reads plain directories, so a restore unpacks the chain first.

Metadata records what a restore needs to pick a backup: when the backup was consistent
(``finished_at``: a time target must lie after it), and the transaction snapshot taken just before
it started (a transaction the snapshot does not see committed after the backup started, so the
backup can be rolled forward to it: this is how ``--to-position`` chooses).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import structlog

from infra.backup.tools import Progress, run_tool

log = structlog.get_logger(__name__)

METADATA = "ledgerline.json"


class BackupNotFound(LookupError):
    pass


@dataclass(frozen=True)
class BackupInfo:
    id: str
    kind: str  # "full" or "incremental"
    parent: str | None
    started_at: str  # RFC 3339, UTC
    finished_at: str
    timeline: int
    start_lsn: str
    snapshot: str  # pg_current_snapshot() just before the backup started: "xmin:xmax:xip,..."
    head_position: int  # the highest event position when the backup started
    events: int
    size_bytes: int

    @property
    def finished(self) -> datetime:
        return datetime.fromisoformat(self.finished_at)

    def sees(self, xid: int) -> bool:
        """Was transaction ``xid`` committed (or aborted) before this backup started?"""
        xmin, xmax, running = self.snapshot.split(":")
        if xid < int(xmin):
            return True
        return xid < int(xmax) and str(xid) not in running.split(",")


class BackupCatalog:
    """The backups and the WAL archive under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root.absolute()

    @property
    def base_dir(self) -> Path:
        return self.root / "base"

    @property
    def wal_dir(self) -> Path:
        return self.root / "wal"

    def path(self, backup_id: str) -> Path:
        return self.base_dir / backup_id

    def backups(self) -> list[BackupInfo]:
        """Complete backups, oldest first (a backup without metadata was interrupted)."""
        found = []
        for meta in sorted(self.base_dir.glob(f"*/{METADATA}")):
            found.append(BackupInfo(**json.loads(meta.read_text())))
        return sorted(found, key=lambda info: info.started_at)

    def get(self, backup_id: str) -> BackupInfo:
        for info in self.backups():
            if info.id == backup_id:
                return info
        raise BackupNotFound(f"no backup {backup_id!r} in {self.base_dir}")

    def chain(self, info: BackupInfo) -> list[BackupInfo]:
        """``info`` and its ancestors, full backup first: what pg_combinebackup needs."""
        chain = [info]
        while chain[0].parent is not None:
            chain.insert(0, self.get(chain[0].parent))
        return chain

    def create(
        self, database_url: str, *, incremental: bool = False, progress: Progress | None = None
    ) -> BackupInfo:
        """Take a base backup of the server at ``database_url``; returns its metadata."""
        parent = None
        if incremental:
            existing = self.backups()
            if not existing:
                raise BackupNotFound("no earlier backup to base an incremental backup on")
            parent = existing[-1]
        started = datetime.now(UTC)
        kind = "incremental" if parent else "full"
        backup_id = f"{started:%Y%m%dT%H%M%S}{started.microsecond // 1000:03d}Z-{kind}"
        target = self.path(backup_id)
        snapshot, head, events = _prepare_server(database_url)
        args = ["-d", database_url, "-D", str(target), "-Ft", "-z", "-c", "fast", "-X", "stream"]
        args += ["--progress", "--manifest-checksums=SHA256", "--label", backup_id]
        if parent is not None:
            args += ["--incremental", str(self.path(parent.id) / "backup_manifest")]
        try:
            run_tool("pg_basebackup", args, progress=progress)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        manifest = json.loads((target / "backup_manifest").read_text())
        wal_range = manifest["WAL-Ranges"][0]
        info = BackupInfo(
            id=backup_id,
            kind=kind,
            parent=None if parent is None else parent.id,
            started_at=started.isoformat(),
            finished_at=datetime.now(UTC).isoformat(),
            timeline=int(wal_range["Timeline"]),
            start_lsn=str(wal_range["Start-LSN"]),
            snapshot=snapshot,
            head_position=head,
            events=events,
            size_bytes=sum(f.stat().st_size for f in target.iterdir()),
        )
        # Written last: a directory without it is an interrupted backup that nothing uses.
        (target / METADATA).write_text(json.dumps(asdict(info), indent=2))
        log.info("backup_created", backup=backup_id, kind=kind, bytes=info.size_bytes)
        return info

    def verify_files(self, info: BackupInfo) -> None:
        """Check every file of the backup against its manifest checksums (pg_verifybackup;
        ``-n``: it cannot parse WAL inside a tar, the scratch restore replays it instead)."""
        run_tool("pg_verifybackup", ["-n", "-q", "-i", METADATA, str(self.path(info.id))])

    def prune(self, keep_full: int) -> tuple[list[str], int]:
        """Delete all but the newest ``keep_full`` full backups (with their incrementals) and
        the WAL older than the oldest backup kept; returns (deleted ids, WAL files deleted)."""
        backups = self.backups()
        fulls = [info for info in backups if info.kind == "full"]
        if len(fulls) <= keep_full:
            return [], 0
        oldest_kept = fulls[-keep_full]
        doomed = [info for info in backups if info.started_at < oldest_kept.started_at]
        for info in doomed:
            shutil.rmtree(self.path(info.id))
        # WAL segment names are TTTTTTTT + 16 hex digits of position; compare the position part
        # only, across timelines. History files are tiny and a restore needs them all.
        first_needed = segment_name(oldest_kept.start_lsn)
        removed = 0
        for wal in self.wal_dir.glob("*"):
            name = wal.name.removesuffix(".partial")
            if len(name) == 24 and name[8:] < first_needed:
                wal.unlink()
                removed += 1
        log.info("backups_pruned", deleted=[info.id for info in doomed], wal_files=removed)
        return [info.id for info in doomed], removed


def segment_name(lsn: str, segment_bytes: int = 16 * 1024 * 1024) -> str:
    high, low = (int(part, 16) for part in lsn.split("/"))
    return f"{high:08X}{low // segment_bytes:08X}"


def _prepare_server(database_url: str) -> tuple[str, int, int]:
    """Turn on WAL summaries (incremental backups need them from the full backup on; a reload
    suffices) and read the snapshot and event-store head the metadata records."""
    with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as conn:
        if conn.execute("show summarize_wal").fetchone() != ("on",):
            conn.execute("alter system set summarize_wal = on")
            conn.execute("select pg_reload_conf()")
        snapshot = conn.execute("select pg_current_snapshot()::text").fetchone()
        migrated = conn.execute("select to_regclass('events') is not null").fetchone()
        head = (0, 0)
        if migrated == (True,):
            row = conn.execute("select coalesce(max(position), 0), count(*) from events").fetchone()
            head = (0, 0) if row is None else (int(row[0]), int(row[1]))
    assert snapshot is not None
    return str(snapshot[0]), head[0], head[1]
