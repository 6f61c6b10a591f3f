"""`ledgerline relay`: publish the event store to Kafka until stopped. Run any number: one
leads and publishes, the others wait to take over."""

from __future__ import annotations

from typing import Annotated

import typer

from infra.logging import configure_logging
from infra.settings import Settings
from infra.signals import stop_event_on_signals
from infra.tracing import traced_process

MetricsPortOption = Annotated[
    int | None,
    typer.Option(
        "--metrics-port",
        help="Port of /metrics and /health (default LEDGERLINE_RELAY_METRICS_PORT).",
        show_default=False,
    ),
]


def relay(metrics_port: MetricsPortOption = None) -> None:
    """Tail the event store in commit order and publish every event to Kafka (while leader)."""
    from projections.relay_process import run_relay

    settings = Settings()
    configure_logging(
        settings.log_level, settings.effective_log_format, trace_ids=settings.tracing_on
    )
    try:
        with traced_process(settings, "relay"):
            run_relay(settings, stop_event_on_signals(settings.shutdown_grace_s), metrics_port)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
