"""What the fault tests read from running relay replicas: their /metrics (is it the leader, how
many events it published), answered by each replica's own endpoint."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterable

from prometheus_client.parser import text_string_to_metric_families

from tests.soak.system import System


def relay_figures(system: System, name: str) -> dict[str, float] | None:
    """``leader`` (1 or 0) and ``published`` of relay replica ``name``; None if it does not
    answer (killed, or still starting)."""
    port = system.supervisor.child(name).spec.health_port
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return None
    figures = {"leader": 0.0, "published": 0.0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "ledgerline_relay_leader":
                figures["leader"] = sample.value
            elif sample.name == "ledgerline_relay_events_published_total":
                figures["published"] = sample.value
    return figures


def the_leader(system: System, names: Iterable[str]) -> str | None:
    """The one replica among ``names`` that reports itself leader; None unless exactly one."""
    leaders = [
        name
        for name in names
        if (figures := relay_figures(system, name)) is not None and figures["leader"] == 1
    ]
    return leaders[0] if len(leaders) == 1 else None


def published(system: System, names: Iterable[str]) -> dict[str, float]:
    """Events published so far by each answering replica among ``names``."""
    return {
        name: figures["published"]
        for name in names
        if (figures := relay_figures(system, name)) is not None
    }
