"""`ledgerline auth` commands: development tokens signed with the configured JWT secret."""

from __future__ import annotations

from typing import Annotated

import typer

from infra.http.auth import mint_token
from infra.settings import Settings

app = typer.Typer(no_args_is_help=True)


@app.callback()
def auth() -> None:
    """Development tokens."""


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
