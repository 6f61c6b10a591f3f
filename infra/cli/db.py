"""`ledgerline db` commands: the event store's schema, and fail-over to the hot standby."""

from __future__ import annotations

import enum

import typer

from event_store.errors import StoreUnavailable
from event_store.schema import migrate as migrate_schema
from infra.settings import Settings

app = typer.Typer(no_args_is_help=True)


@app.command()
def migrate() -> None:
    """Create or update the event store schema (idempotent)."""
    settings = Settings()
    try:
        migrate_schema(settings.database_url)
    except StoreUnavailable as error:
        reason = " ".join(str(error).split())  # one line, whatever the driver printed
        typer.echo(f"error: cannot reach PostgreSQL at {settings.database_url}: {reason}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"event store schema is up to date ({settings.database_url})")


@app.command()
def failover() -> None:
    """Promote the hot standby to primary and fence the old primary (see infra/failover.py).

    Ledgerline processes started with the standby (`dev run --standby`, LEDGERLINE_STANDBY=true)
    connect with a connection string that lists both servers and reconnect to the promoted one
    by themselves."""
    from infra.failover import FailoverError, fail_over
    from infra.standby_roles import roles

    pair = roles(Settings())
    try:
        report = fail_over(pair.primary, pair.standby)
    except FailoverError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"promoted the standby at {report.promoted} in {report.seconds:.1f}s")
    typer.echo(f"old primary at {pair.primary.host}:{pair.primary.port}: {report.old_primary}")


@app.command("new-standby")
def new_standby() -> None:
    """After a fail-over: set the fenced old primary aside and make a new streaming standby of the
    promoted server in its place, on its port, while everything runs (infra/standby_roles.py)."""
    from infra.standby_roles import NewStandbyError
    from infra.standby_roles import new_standby as make

    try:
        report = make(Settings())
    except NewStandbyError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    if report.kept is not None:
        typer.echo(f"the fenced old primary's directory is kept at {report.kept}")
    typer.echo(f"standby at {report.standby} of the primary at {report.primary}: {report.how}")


class Switch(enum.StrEnum):
    on = "on"
    off = "off"


@app.command("synchronous-standby")
def synchronous_standby(
    switch: Switch = typer.Argument(
        ..., metavar="on|off", help="on: commits wait for the standby; off: not."
    ),
) -> None:
    """Make the primary wait for its standby on every commit (remote_apply), or stop waiting:
    the way out when the standby is lost and commits hang on it (RPO > 0 until it is back)."""
    import psycopg

    from infra.servers.standby import make_asynchronous, make_synchronous
    from infra.standby_roles import roles

    primary = roles(Settings()).primary
    on = switch is Switch.on
    try:
        if on:
            make_synchronous(primary)
        else:
            make_asynchronous(primary)
    except (psycopg.Error, TimeoutError) as error:
        typer.echo(f"error: {' '.join(str(error).split())}", err=True)
        raise typer.Exit(1) from None
    state = "wait for the standby (remote_apply)" if on else "no longer wait for a standby"
    typer.echo(f"commits on {primary.host}:{primary.port} {state}")
