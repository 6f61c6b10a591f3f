"""`ledgerline serve` commands: run the HTTP services under uvicorn.

This is the only module that imports ``write_api`` and ``read_api``, and only inside the commands,
so the rest of the CLI starts without loading the web stack.
"""

from __future__ import annotations

from typing import Annotated

import typer

from infra.logging import configure_logging
from infra.settings import Settings

app = typer.Typer(no_args_is_help=True)


@app.callback()
def serve() -> None:
    """Run the HTTP services."""


@app.command("write")
def write(
    host: Annotated[str | None, typer.Option("--host", help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="TCP port.")] = None,
) -> None:
    """Serve the write API (commands)."""
    import uvicorn

    from write_api.app import create_app

    settings = Settings()
    configure_logging(settings.log_level, settings.effective_log_format)
    uvicorn.run(
        create_app(settings),
        host=host or settings.bind_host,
        port=settings.write_api_port if port is None else port,
        # Our logging config and our access log line (with correlation id) replace uvicorn's.
        log_config=None,
        access_log=False,
        server_header=False,
    )


@app.command("read")
def read(
    host: Annotated[str | None, typer.Option("--host", help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="TCP port.")] = None,
) -> None:
    """Serve the query API (read models and search)."""
    import uvicorn

    from read_api.app import create_app

    settings = Settings()
    configure_logging(settings.log_level, settings.effective_log_format)
    uvicorn.run(
        create_app(settings),
        host=host or settings.bind_host,
        port=settings.read_api_port if port is None else port,
        log_config=None,
        access_log=False,
        server_header=False,
    )
