"""`ledgerline serve` commands: run the HTTP services under uvicorn.

With ``infra.cli.web`` (which dumps their OpenAPI documents), the only module that imports
``write_api`` and ``read_api``, and only inside the commands, so the rest of the CLI starts
without loading the web stack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from infra.logging import configure_logging
from infra.settings import Settings
from infra.signals import stop_event_on_signals
from infra.tracing import traced_process

app = typer.Typer(no_args_is_help=True)


@app.callback()
def serve() -> None:
    """Run the HTTP services."""


HostOption = Annotated[str | None, typer.Option("--host", help="Bind address.")]
PortOption = Annotated[int | None, typer.Option("--port", help="TCP port.")]


def _serve(
    service: str,
    build: Callable[[Settings], Any],
    host: str | None,
    port: int | None,
    default: int,
) -> None:
    settings = Settings()
    configure_logging(
        settings.log_level, settings.effective_log_format, trace_ids=settings.tracing_on
    )
    with traced_process(settings, service):
        _run_uvicorn(settings, build(settings), host, port, default)


def _run_uvicorn(
    settings: Settings, app: Any, host: str | None, port: int | None, default: int
) -> None:
    import uvicorn

    # uvicorn restores the handlers it found and raises the signal again once it has shut down;
    # with Python's default handler the process would then die of its own SIGTERM (status -15,
    # indistinguishable from one that never drained). Ours just records it: exit status 0.
    stop_event_on_signals()
    uvicorn.run(
        app,
        host=host or settings.bind_host,
        port=default if port is None else port,
        # Our logging config and our access log line (with correlation id) replace uvicorn's.
        log_config=None,
        access_log=False,
        server_header=False,
        # Behind the gateway the client is X-Forwarded-For's address (rate limits, login
        # records), but only when the request comes from an address we trust to set it.
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        # SIGTERM: stop accepting, let in-flight requests finish for this long, then cancel.
        timeout_graceful_shutdown=max(1, int(settings.shutdown_grace_s)),
    )


@app.command("write")
def write(host: HostOption = None, port: PortOption = None) -> None:
    """Serve the write API (commands)."""
    from write_api.app import create_app

    _serve("write-api", create_app, host, port, Settings().write_api_port)


@app.command("read")
def read(host: HostOption = None, port: PortOption = None) -> None:
    """Serve the query API (read models and search)."""
    from read_api.app import create_app

    _serve("read-api", create_app, host, port, Settings().read_api_port)
