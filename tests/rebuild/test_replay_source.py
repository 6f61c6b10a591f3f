"""The rebuild's restricted reader (search projects only users and payments) reads exactly what
``read_committed`` reads of those stream types, in the same order, personal data revealed."""

from __future__ import annotations

from event_store.commit_order import checkpoint_of
from event_store.records import Checkpoint, RecordedEvent
from projections.mongo_projection import MONGO_PROJECTION
from projections.rebuild.source import ReplaySource
from projections.search_projection import SEARCH_PROJECTION
from tests.projections.scenario import mixed_story
from tests.rebuild.conftest import World, all_events


def read_all(source: ReplaySource, batch: int) -> list[RecordedEvent]:
    events: list[RecordedEvent] = []
    after = Checkpoint()
    while chunk := source.read(after, batch):
        events.extend(chunk)
        after = checkpoint_of(chunk[-1])
    return events


def test_a_restricted_source_reads_read_committeds_events_of_its_stream_types(
    world: World,
) -> None:
    world.append(mixed_story().ledger.envelopes, chunk=7)
    everything = all_events(world.store)

    search = ReplaySource.for_projections(world.store, [SEARCH_PROJECTION])
    both = ReplaySource.for_projections(world.store, [SEARCH_PROJECTION, MONGO_PROJECTION])

    assert search.stream_types == frozenset({"User", "Payment"})
    assert both.stream_types is None  # every stream type: plain read_committed
    wanted = [e for e in everything if e.stream_type in {"User", "Payment"}]
    assert read_all(search, 3) == wanted
    assert any(e.type == "UserRegistered" and e.data["email"] for e in wanted)  # revealed
    assert read_all(both, 5) == everything
    assert search.head().events == len(wanted)
    assert both.head().events == len(everything)
    assert search.head().position == both.head().position == everything[-1].position
