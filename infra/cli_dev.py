"""`ledgerline dev up|down|status`: the local PostgreSQL, Kafka, MongoDB- and ES-API servers.

Thin wrappers over ``infra.devstack``. Output is one line per server (name, address, log file);
a server that cannot start is reported in one line on stderr with exit code 1, never a traceback.
"""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError

from infra import devstack
from infra.logging import configure_logging
from infra.servers import ServerStartError, ServerStatus, StartOutcome
from infra.settings import Settings

app = typer.Typer(no_args_is_help=True)

OnlyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--only",
        help=f"Only this server (repeatable): {', '.join(devstack.SERVER_NAMES)}.",
        show_default=False,
    ),
]


def _settings() -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:
        _fail(f"invalid settings: {exc.errors()[0]['msg']}")
    configure_logging(settings.log_level, settings.effective_log_format)
    return settings


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def _line(name: str, address: str, log_path: object, note: str) -> str:
    return f"{name:<14} {address:<52} log: {log_path}  ({note})"


@app.command()
def up(only: OnlyOption = None) -> None:
    """Start the local servers (all four unless --only); reuse any already running."""
    settings = _settings()
    try:
        stack = devstack.start_stack(settings, only)
    except ServerStartError as exc:
        _fail(str(exc))
    except ValueError as exc:
        _fail(str(exc))
    for name, server in stack.servers.items():
        outcome = stack.outcomes[name]
        note = outcome.value
        if outcome is StartOutcome.STARTED:
            note = f"started in {stack.start_seconds[name]:.1f}s"
        typer.echo(_line(name, server.address, server.log_path, note))


@app.command()
def down(only: OnlyOption = None) -> None:
    """Stop the local servers by the pids recorded at `dev up` (data is kept)."""
    settings = _settings()
    try:
        stopped = devstack.stop_stack(settings, only)
    except ValueError as exc:
        _fail(str(exc))
    for name, was_running in stopped.items():
        typer.echo(f"{name:<14} {'stopped' if was_running else 'was not running'}")


@app.command()
def status(only: OnlyOption = None) -> None:
    """Show which local servers are running and answering."""
    settings = _settings()
    try:
        statuses = devstack.stack_status(settings, only)
    except ValueError as exc:
        _fail(str(exc))
    for entry in statuses:
        typer.echo(_line(entry.name, entry.address, entry.log_path, _describe(entry)))


def _describe(entry: ServerStatus) -> str:
    if not entry.running:
        return "not running"
    return f"pid {entry.pid}, {'answering' if entry.ready else 'NOT answering'}"
