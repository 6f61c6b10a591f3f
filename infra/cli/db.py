"""`ledgerline db` commands: the event store's schema."""

from __future__ import annotations

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
