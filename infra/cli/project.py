"""`ledgerline project mongo|search`: run a projector (a Kafka consumer-group member) until
SIGINT/SIGTERM. Start several with the same group id to split the topic's partitions."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from infra.logging import configure_logging
from infra.settings import Settings
from infra.signals import stop_event_on_signals
from infra.tracing import traced_process

app = typer.Typer(no_args_is_help=True)

GroupOption = Annotated[
    str | None,
    typer.Option(
        "--group-id",
        help="Kafka consumer group (default ledgerline-mongo / ledgerline-search).",
        show_default=False,
    ),
]


@app.callback()
def project() -> None:
    """Project the event topic into the read models."""


@app.command("mongo")
def mongo(group_id: GroupOption = None) -> None:
    """Project events into the MongoDB read models."""
    _run("mongo", group_id)


@app.command("search")
def search(group_id: GroupOption = None) -> None:
    """Project payments and users into the Elasticsearch indices."""
    _run("search", group_id)


def _run(kind: Literal["mongo", "search"], group_id: str | None) -> None:
    # Imported here so the rest of the CLI starts without the Kafka and database clients.
    from projections.process import run_projector

    settings = Settings()
    configure_logging(
        settings.log_level, settings.effective_log_format, trace_ids=settings.tracing_on
    )
    try:
        with traced_process(settings, f"projector-{kind}"):
            stop = stop_event_on_signals(settings.shutdown_grace_s)
            run_projector(settings, kind, stop, group_id=group_id)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
