"""`ledgerline notify`: run the notification service (webhooks and e-mail) until SIGINT/SIGTERM.
Start several: they split the topic's partitions and share the delivery queue."""

from __future__ import annotations

import typer

from infra.logging import configure_logging
from infra.settings import Settings
from infra.signals import stop_event_on_signals
from infra.tracing import traced_process


def notify() -> None:
    """Deliver webhooks and e-mail from the event stream."""
    # Imported here so the rest of the CLI starts without the Kafka and database clients.
    from projections.notifier.service import run_notifier

    settings = Settings()
    configure_logging(
        settings.log_level, settings.effective_log_format, trace_ids=settings.tracing_on
    )
    try:
        with traced_process(settings, "notifier"):
            run_notifier(settings, stop_event_on_signals(settings.shutdown_grace_s))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
