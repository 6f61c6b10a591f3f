"""`ledgerline auth` commands: development tokens signed with the configured JWT secret
(refused in production), and the rotation of Ledgerline's own signing keys."""

from __future__ import annotations

from typing import Annotated

import typer

from infra.cli.failures import fail
from infra.http.auth import mint_token
from infra.settings import Settings

app = typer.Typer(no_args_is_help=True)


@app.callback()
def auth() -> None:
    """Development tokens and signing keys."""


keys_app = typer.Typer(no_args_is_help=True, help="Ledgerline's own signing keys (ES256).")
app.add_typer(keys_app, name="keys")


@keys_app.command("rotate")
def rotate_keys() -> None:
    """Make a new signing key active; the old one stays published until its tokens expire."""
    from event_store.errors import StoreUnavailable
    from event_store.store import EventStore
    from infra.bootstrap import build_key_store, open_event_store_pool

    settings = Settings()
    try:
        pool = open_event_store_pool(settings)
    except Exception as error:  # the pool says why PostgreSQL did not answer
        fail(f"cannot reach PostgreSQL at {settings.database_url}: {type(error).__name__}")
    try:
        keys = build_key_store(settings, EventStore(pool))
        kid = keys.rotate()
    except StoreUnavailable as error:
        fail(f"PostgreSQL: {error}")
    finally:
        pool.close()
    typer.echo(
        f"signing key {kid} is now active; the previous one stays in the JWKS for"
        f" {settings.access_token_ttl_s} s more, until the tokens it signed have expired"
    )


# Options are parsed here rather than by click so every bad input gets one plain error line.
@app.command("token")
def token(
    sub: Annotated[
        str | None, typer.Option("--sub", help="User id (UUID) the token speaks for. Required.")
    ] = None,
    role: Annotated[
        list[str] | None,
        typer.Option("--role", help="customer, operator, auditor or admin; repeatable. Required."),
    ] = None,
    ttl: Annotated[
        str | None, typer.Option("--ttl", help="Lifetime in seconds (default from settings).")
    ] = None,
) -> None:
    """Print a signed bearer token for --sub with the given roles."""
    try:
        if sub is None:
            raise ValueError("--sub is required")
        if not role:
            raise ValueError("at least one --role is required")
        settings = Settings()
        ttl_s = settings.dev_token_ttl_s if ttl is None else _seconds(ttl)
        signed = mint_token(settings, sub, role, ttl_s)
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(signed)


def _seconds(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"--ttl must be a whole number of seconds, got {text!r}") from None
