"""Spans of a batch (``infra.tracing.batches``): one per sampled event, each a child of its own
event's trace; the batch's steps once, under the first, which the others link to. Run in a child
process, which may install a global tracer provider recording in memory."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[2]

_BATCH = textwrap.dedent(
    """
    import json
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from infra.tracing.batches import batch_step, traced_batch

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    tracer = trace.get_tracer("test")
    commands = [tracer.start_span(f"command {n}") for n in range(3)]
    parents = [(trace.set_span_in_context(c), {"event": n}) for n, c in enumerate(commands)]
    with traced_batch("project mongo", parents, attributes={"size": 3}):
        with batch_step("mongo fold"):
            pass
        with batch_step("mongo write"):
            tracer.start_span("driver call").end()
    with batch_step("outside a batch"):
        pass
    with traced_batch("nothing sampled", []):
        pass
    for command in commands:
        command.end()
    print(json.dumps([
        {
            "name": s.name,
            "id": s.context.span_id,
            "trace": s.context.trace_id,
            "parent": s.parent.span_id if s.parent else None,
            "links": [link.context.span_id for link in s.links],
            "attributes": dict(s.attributes or {}),
        }
        for s in exporter.get_finished_spans()
    ]))
    """
)


def _spans() -> list[dict[str, Any]]:
    completed = subprocess.run(
        [sys.executable, "-c", _BATCH],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPOSITORY,
        check=True,
    )
    spans: list[dict[str, Any]] = json.loads(completed.stdout)
    return spans


def test_each_event_has_its_span_and_the_steps_are_recorded_once_under_the_first() -> None:
    spans = _spans()
    by_name: dict[str, list[dict[str, Any]]] = {}
    for span in spans:
        by_name.setdefault(span["name"], []).append(span)
    commands = sorted(
        by_name["command 0"] + by_name["command 1"] + by_name["command 2"], key=lambda s: s["name"]
    )
    batch = sorted(by_name["project mongo"], key=lambda s: s["attributes"]["event"])
    # One span per event, in that event's own trace, under its command, with both attributes.
    assert [(s["trace"], s["parent"]) for s in batch] == [(c["trace"], c["id"]) for c in commands]
    assert all(s["attributes"]["size"] == 3 for s in batch)
    first, *others = batch
    assert first["links"] == [] and all(s["links"] == [first["id"]] for s in others)
    # The steps once each, under the first event's span; the driver's span under its step.
    assert [(s["parent"], s["trace"]) for s in by_name["mongo fold"]] == [
        (first["id"], first["trace"])
    ]
    (write,) = by_name["mongo write"]
    assert write["parent"] == first["id"]
    assert [s["parent"] for s in by_name["driver call"]] == [write["id"]]
    # Nothing outside a batch, nothing for a batch without a sampled event.
    assert "outside a batch" not in by_name and "nothing sampled" not in by_name
    assert len(spans) == 3 + 3 + 2 + 1
