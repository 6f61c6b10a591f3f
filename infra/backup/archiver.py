"""The WAL streamer: ``pg_receivewal --synchronous`` into the backup directory's ``wal/``, kept
running (``ledgerline backup stream``; ``ledgerline dev run`` supervises it as ``wal-archiver``).

Why streaming rather than ``archive_command``: archive_command hands over a WAL segment only
when it is full (16 MB) or ``archive_timeout`` forces a switch, so the newest minutes of commits
exist only on the primary; pg_receivewal receives each record as it is written and, with
``--synchronous``, flushes it to disk at once and tells the server, so a lost primary costs at most
what was in flight. A physical replication slot (``Settings.backup_slot``) makes the server keep
every segment until the streamer has it: a streamer that was down resumes where it stopped
instead of finding a gap. The cost is that the primary's ``pg_wal`` grows while the streamer is
down (``max_slot_wal_keep_size`` bounds it in production, at the price of a gap).

pg_receivewal exits when the server goes away (``-n``: no retries of its own); this loop starts
it again with back-off, so the process stays up through restarts and restores of the server.
``/health/ready`` answers 200 while pg_receivewal runs and the slot is active, and
``ledgerline_wal_archive_lag_bytes`` says how far the archive is behind the server.
"""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import psycopg
import structlog
from prometheus_client import Gauge

from infra.backup.catalog import BackupCatalog
from infra.backup.tools import BackupToolError, binary, run_tool
from infra.metric_families import process_registry
from infra.process_http import ProcessEndpoint
from infra.settings import Settings

log = structlog.get_logger(__name__)

LAG_BYTES = Gauge(
    "ledgerline_wal_archive_lag_bytes",
    "WAL the server has written that the archive has not flushed yet (-1: unknown).",
)
# This process's own families on its /metrics, beside the shared ones (infra.metric_families).
ARCHIVER_FAMILIES = ("ledgerline_wal_archive_",)
RESTARTS_BACKOFF_MAX_S = 10.0


class WalStreamer:
    """One pg_receivewal at a time, restarted until ``stop``."""

    def __init__(self, database_url: str, wal_dir: Path, slot: str, log_path: Path) -> None:
        self._url = database_url
        self._wal_dir = wal_dir
        self._slot = slot
        self._log_path = log_path
        self._child: subprocess.Popen[bytes] | None = None

    def running(self) -> bool:
        return self._child is not None and self._child.poll() is None

    def ready(self) -> None:
        """Raise unless pg_receivewal runs and the server sees the slot in use."""
        if not self.running():
            raise RuntimeError("pg_receivewal is not running")
        if self._slot_lag() is None:
            raise RuntimeError(f"replication slot {self._slot} is not active")

    def run(self, stop: threading.Event) -> None:
        self._wal_dir.mkdir(parents=True, exist_ok=True)
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        backoff = 0.5
        try:
            while not stop.is_set():
                try:
                    self._ensure_slot()
                    self._start()
                except BackupToolError as error:
                    log.warning("wal_streamer_cannot_start", reason=str(error))
                else:
                    backoff = self._watch(stop, backoff)
                if stop.wait(backoff):
                    break
                backoff = min(backoff * 2, RESTARTS_BACKOFF_MAX_S)
        finally:
            self._stop_child()

    def _ensure_slot(self) -> None:
        run_tool(
            "pg_receivewal",
            ["-d", self._url, "--slot", self._slot, "--create-slot", "--if-not-exists"],
            timeout_s=30,
        )

    def _start(self) -> None:
        argv = [str(binary("pg_receivewal")), "-d", self._url, "-D", str(self._wal_dir)]
        argv += ["--slot", self._slot, "--synchronous", "-n", "-v"]
        with self._log_path.open("ab") as output:
            self._child = subprocess.Popen(argv, stdout=output, stderr=output)
        log.info("wal_streamer_started", pid=self._child.pid, archive=str(self._wal_dir))

    def _watch(self, stop: threading.Event, backoff: float) -> float:
        """Until pg_receivewal exits or ``stop``; the back-off to use next (reset once it ran
        long enough to have been connected)."""
        ran = 0.0
        while not stop.wait(1.0):
            ran += 1.0
            lag = self._slot_lag()
            LAG_BYTES.set(-1 if lag is None else lag)
            assert self._child is not None
            code = self._child.poll()
            if code is not None:
                log.warning("wal_streamer_exited", exit_code=code, log_file=str(self._log_path))
                return 0.5 if ran > 10 else backoff
        return backoff

    def _slot_lag(self) -> int | None:
        try:
            with psycopg.connect(self._url, connect_timeout=2) as conn:
                row = conn.execute(
                    "select pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::int8"
                    " from pg_replication_slots where slot_name = %s and active",
                    (self._slot,),
                ).fetchone()
        except psycopg.Error:
            return None
        return None if row is None or row[0] is None else int(row[0])

    def _stop_child(self) -> None:
        if self._child is not None and self._child.poll() is None:
            self._child.terminate()  # pg_receivewal flushes and exits on SIGTERM
            try:
                self._child.wait(10)
            except subprocess.TimeoutExpired:
                self._child.kill()
                self._child.wait()


def run_wal_streamer(settings: Settings, stop: threading.Event) -> None:
    """Archive WAL into ``settings.backup_dir`` until ``stop`` (SIGINT/SIGTERM)."""
    catalog = BackupCatalog(settings.backup_dir)
    streamer = WalStreamer(
        settings.database_url,
        catalog.wal_dir,
        settings.backup_slot,
        settings.data_dir / "logs" / "pg_receivewal.log",
    )
    endpoint = ProcessEndpoint(
        settings.bind_host,
        settings.wal_archiver_metrics_port,
        streamer.ready,
        process_registry(ARCHIVER_FAMILIES),
    ).start()
    try:
        streamer.run(stop)
    finally:
        endpoint.close()
