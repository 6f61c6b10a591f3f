"""`ledgerline relay`: publish the event store to Kafka until stopped."""

from __future__ import annotations

import typer

from infra.logging import configure_logging
from infra.settings import Settings
from infra.signals import stop_event_on_signals
from infra.tracing import traced_process


def relay() -> None:
    """Tail the event store in commit order and publish every event to Kafka."""
    from projections.relay_process import run_relay

    settings = Settings()
    configure_logging(
        settings.log_level, settings.effective_log_format, trace_ids=settings.tracing_on
    )
    try:
        with traced_process(settings, "relay"):
            run_relay(settings, stop_event_on_signals())
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
