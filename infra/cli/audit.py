"""`ledgerline audit` commands: replay a stream's history from the event store, and verify the
hash chains that make the log tamper-evident.

Both only read PostgreSQL (``LEDGERLINE_DATABASE_URL``). Bad input and unreachable servers end in
one line on stderr and a non-zero exit status, never a traceback: 2 for bad input (as for any
usage error), 1 for everything else, including a broken chain.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, NoReturn
from uuid import UUID

import typer
from psycopg_pool import PoolTimeout
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from event_store.connection import open_pool
from event_store.errors import StoreUnavailable
from event_store.hash_chain import VerificationReport, verify_database
from event_store.store import EventStore
from infra.audit_trail import AuditTrail, NoStateAtPoint, StreamNotFound, replay_stream
from infra.settings import Settings

app = typer.Typer(no_args_is_help=True)

_USAGE_ERROR = 2


@app.callback()
def audit() -> None:
    """Audit trail: replay streams and verify the event log's hash chains."""


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {' '.join(message.split())}", err=True)  # one line, whatever the cause
    raise typer.Exit(code)


def _stream_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        _fail(f"{value!r} is not a stream id (a UUID)", _USAGE_ERROR)


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"{value!r} is not an RFC 3339 time (e.g. 2026-11-29T15:27:03Z)", _USAGE_ERROR)
    if moment.tzinfo is None:
        _fail(f"{value!r} has no UTC offset (e.g. 2026-11-29T15:27:03Z)", _USAGE_ERROR)
    return moment


def _unreachable(settings: Settings, error: StoreUnavailable) -> NoReturn:
    _fail(f"cannot reach PostgreSQL at {settings.database_url}: {error}")


@app.command()
def replay(
    stream: Annotated[str, typer.Argument(help="Stream (aggregate) id.", show_default=False)],
    at: Annotated[
        str | None, typer.Option("--at", help="Cut at this RFC 3339 time.", show_default=False)
    ] = None,
    version: Annotated[
        int | None,
        typer.Option("--version", min=1, help="Cut at this stream version.", show_default=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """A stream's history (who, when, which command) and the state it yields, replayed from
    the event store."""
    stream_id = _stream_id(stream)
    if at is not None and version is not None:
        _fail("give at most one of --at and --version", _USAGE_ERROR)
    moment = None if at is None else _moment(at)
    settings = Settings()
    try:
        pool = open_pool(settings.database_url, min_size=1, max_size=1, timeout=5.0)
    except PoolTimeout as error:  # how the pool reports a server it cannot reach
        _fail(f"cannot reach PostgreSQL at {settings.database_url}: {error}")
    try:
        trail = replay_stream(EventStore(pool), stream_id).until(at=moment, version=version)
    except StoreUnavailable as error:
        _unreachable(settings, error)
    except (StreamNotFound, NoStateAtPoint) as error:
        _fail(str(error))
    finally:
        pool.close()
    if as_json:
        typer.echo(json.dumps(trail.as_json(), indent=2, ensure_ascii=False))
    else:
        _print_trail(trail)


def _print_trail(trail: AuditTrail) -> None:
    console = Console()
    table = Table(title=f"{trail.stream_type} {trail.stream_id}", title_justify="left")
    for column in ("version", "type", "recorded at", "user", "correlation", "causation"):
        table.add_column(column, overflow="fold")
    table.add_column("command")
    for entry in trail.entries:
        row = entry.as_json()
        cells = [row["version"], row["type"], row["recorded_at"]]
        cells += [row[key] for key in ("user_id", "correlation_id", "causation_id", "command")]
        # Correlation ids come from clients' headers: never let them read as rich markup.
        table.add_row(*(escape(str(cell or "-")) for cell in cells))
    console.print(table)
    console.print(f"state at version {trail.version}:")
    console.print_json(json.dumps(trail.state, ensure_ascii=False))
    if trail.redacted:
        console.print(f"personal data forgotten: {', '.join(sorted(trail.redacted))} shown as null")


@app.command()
def verify(
    stream: Annotated[
        str | None,
        typer.Option("--stream", help="Verify only this stream.", show_default=False),
    ] = None,
) -> None:
    """Recompute every stream's hash chain and name each version whose content, order or
    deletion breaks it; exit status 1 if any does."""
    stream_id = None if stream is None else _stream_id(stream)
    settings = Settings()
    try:
        report = verify_database(settings.database_url, stream_id=stream_id)
    except StoreUnavailable as error:
        _unreachable(settings, error)
    _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


def _print_report(report: VerificationReport) -> None:
    console = Console(highlight=False)
    for broken in report.breaks:
        console.print(f"[red]BROKEN[/red] {escape(broken.describe())}", soft_wrap=True)
    outcome = "verified" if report.ok else "checked"
    speed = f"in {report.seconds:.2f} s ({report.events_per_second:,.0f} events/s)"
    console.print(f"{report.events} events, {report.streams} streams {outcome} {speed}")
    if report.unhashed:
        console.print(f"{report.unhashed} events predate the hash chain and were not checked")
    if report.breaks:
        streams = len(report.broken_streams)
        console.print(f"[red]{len(report.breaks)} chain breaks in {streams} streams[/red]")
