"""Rebuilds on real servers: the event store folded into a fresh generation replaces the live
read model; leftovers, kept generations, dry runs and interrupted runs behave as documented."""

from __future__ import annotations

from typing import Any

import pytest

from event_store.records import Checkpoint
from projections.envelope import to_envelope
from projections.mongo_projection import MONGO_PROJECTION
from projections.rebuild.guard import RebuildBusy, RebuildGuard
from projections.rebuild.mongo_target import MongoTarget
from projections.rebuild.run import RebuildError, RebuildOptions, rebuild
from projections.rebuild.source import ReplaySource
from tests.projections.scenario import busy_ledger, mixed_story
from tests.rebuild.conftest import World, all_events


class StopAt:
    """An observer that raises ``error`` when ``phase`` starts (or after ``events`` events)."""

    def __init__(self, error: BaseException, phase: str = "", events: int = 0) -> None:
        self.error = error
        self.phase_name = phase
        self.events = events
        self.phases: list[str] = []

    def phase(self, name: str, detail: str = "") -> None:
        self.phases.append(name)
        if name == self.phase_name:
            raise self.error

    def progress(self, done: int, total: int) -> None:
        if self.events and done >= self.events:
            raise self.error


def test_a_rebuild_replaces_a_stale_mongo_model_with_the_fold_of_the_event_store(
    world: World,
) -> None:
    world.append(mixed_story().ledger.envelopes)
    world.live_setup()
    world.mongo["accounts"].insert_one({"_id": "bogus", "balance": 1, "version": 99})
    world.mongo["notifications"].insert_one({"_id": "bogus:line"})

    report = rebuild(world.store, world.targets("mongo"), RebuildOptions(batch_size=7))

    assert world.mongo_dump() == world.expected_mongo()
    assert report.events == len(all_events(world.store))
    assert world.collection_names() == sorted(MongoTarget(world.mongo).live_names())
    assert [t.generation.startswith("g") for t in report.targets] == [True]
    # The live collections keep their indexes (renames carry them).
    assert "owner_id_1" in world.mongo["accounts"].index_information()
    assert "account_id_1_version_-1" in world.mongo["account_entries"].index_information()


def test_a_search_rebuild_moves_both_aliases_in_one_step_and_drops_the_old_indices(
    world: World,
) -> None:
    world.append(mixed_story().ledger.envelopes)
    world.live_setup()
    world.search.index(index=f"{world.prefix}-users", id="bogus", document={"id": "bogus"})

    report = rebuild(world.store, world.targets("search"), RebuildOptions(batch_size=50))

    assert world.search_dump() == world.expected_search()
    assert world.index_aliases() == {
        f"{world.prefix}-payments-v2": [f"{world.prefix}-payments"],
        f"{world.prefix}-users-v2": [f"{world.prefix}-users"],
    }
    assert report.targets[0].dropped == [f"{world.prefix}-payments-v1", f"{world.prefix}-users-v1"]


def test_an_empty_event_store_rebuilds_into_empty_read_models(world: World) -> None:
    rebuild(world.store, world.targets("mongo", "search"))
    assert world.mongo_dump() == world.expected_mongo()
    assert world.search_dump() == {"payments": {}, "users": {}}


def test_keep_old_keeps_the_replaced_generation_and_later_rebuilds_leave_it_alone(
    world: World,
) -> None:
    ledger = busy_ledger(150, users=5)
    world.append(ledger.envelopes)
    rebuild(world.store, world.targets("mongo", "search"))
    before = world.mongo_dump()
    balance = {i: d["balance"] for i, d in before["accounts"].items()}
    end = len(ledger.envelopes)
    ledger.deposit(next(iter(ledger.accounts.values())), 5_00, "later")
    world.record(ledger, end)

    report = rebuild(world.store, world.targets("mongo", "search"), RebuildOptions(keep_old=True))

    generation = report.targets[0].generation
    kept_accounts = world.mongo[f"accounts_old_{generation}"]
    assert {d["_id"]: d["balance"] for d in kept_accounts.find()} == balance
    assert world.mongo_dump() == world.expected_mongo()
    aliases = world.index_aliases()
    assert aliases[f"{world.prefix}-users-v1"] == [f"{world.prefix}-users-kept"]
    assert aliases[f"{world.prefix}-users-v2"] == [f"{world.prefix}-users"]

    rebuild(world.store, world.targets("mongo", "search"))
    assert f"accounts_old_{generation}" in world.collection_names()
    assert f"{world.prefix}-users-v1" in world.index_aliases()
    assert world.mongo_dump() == world.expected_mongo()
    assert world.search_dump() == world.expected_search()


def test_an_interrupted_rebuild_leaves_the_live_model_untouched_and_a_rerun_works(
    world: World,
) -> None:
    ledger = busy_ledger(300, users=8)
    world.append(ledger.envelopes[:200])
    rebuild(world.store, world.targets("mongo", "search"))
    live_mongo, live_search = world.mongo_dump(), world.search_dump()
    names, indices = world.collection_names(), world.index_aliases()
    world.record(ledger, 200)

    for stop in (StopAt(KeyboardInterrupt(), events=60), StopAt(RuntimeError("boom"), "writing")):
        with pytest.raises((KeyboardInterrupt, RuntimeError)):
            rebuild(world.store, world.targets("mongo", "search"), RebuildOptions(50), stop)
        assert world.mongo_dump() == live_mongo
        assert world.search_dump() == live_search
        # The new generation was dropped on the way out.
        assert world.collection_names() == names
        assert world.index_aliases() == indices

    # A killed run (no chance to clean up) leaves a generation behind; the next run drops it.
    world.mongo["accounts_g1"].insert_one({"_id": "half-built"})
    world.search.indices.create(index=f"{world.prefix}-users-v9")
    report = rebuild(world.store, world.targets("mongo", "search"))
    assert sorted(report.leftovers_dropped) == ["accounts_g1", f"{world.prefix}-users-v9"]
    assert world.mongo_dump() == world.expected_mongo()
    assert world.search_dump() == world.expected_search()


def test_a_rebuild_that_stopped_after_its_swap_is_finished_by_the_next_run(world: World) -> None:
    ledger = busy_ledger(200, users=6)
    world.append(ledger.envelopes[:150])

    def arrive_during_the_swap() -> None:
        world.record(ledger, 150)

    class CrashInTail(StopAt):
        def phase(self, name: str, detail: str = "") -> None:
            if name == "swapping" and "mongo" in detail:
                arrive_during_the_swap()
            super().phase(name, detail)

    with pytest.raises(RebuildError, match="run it again to finish"):
        rebuild(
            world.store,
            world.targets("mongo", "search"),
            observer=CrashInTail(RuntimeError("died in the tail"), "tail"),
        )
    pending = RebuildGuard(world.store).pending()
    assert {p.key for p in pending} == {f"mongo:{world.mongo.name}", f"search:{world.prefix}"}
    assert world.mongo_dump() != world.expected_mongo()  # swapped, without the tail

    report = rebuild(world.store, world.targets("mongo", "search"))

    assert len(report.recovered) == 2
    assert RebuildGuard(world.store).pending() == []
    assert world.mongo_dump() == world.expected_mongo()
    assert world.search_dump() == world.expected_search()
    assert world.collection_names() == sorted(MongoTarget(world.mongo).live_names())
    assert sorted(world.index_aliases()) == [
        f"{world.prefix}-payments-v2",
        f"{world.prefix}-users-v2",
    ]


def test_only_one_rebuild_of_a_read_model_runs_at_a_time(world: World) -> None:
    guard = RebuildGuard(world.store)
    with guard.locked([f"mongo:{world.mongo.name}"]):
        with pytest.raises(RebuildBusy, match=f"mongo:{world.mongo.name}"):
            rebuild(world.store, world.targets("mongo"))
        # Another read model is not blocked.
        rebuild(world.store, world.targets("search"))
    rebuild(world.store, world.targets("mongo"))


def test_lines_the_live_projector_wrote_into_the_old_generation_are_written_again(
    world: World,
) -> None:
    """A deposit arrives after the rebuild's last read; the live projector writes its statement
    line and notification into the old collections just before the swap drops them, and the
    account document into the new ones just after. The tail restores the lines although the
    document already shows the deposit."""
    ledger = busy_ledger(120, users=4)
    world.append(ledger.envelopes)
    rebuild(world.store, world.targets("mongo"))
    account = next(iter(ledger.accounts.values()))

    class LiveProjectorRacingTheSwap:
        doc: dict[str, object] = {}

        def phase(self, name: str, detail: str = "") -> None:
            if name == "swapping":
                start = len(ledger.envelopes)
                ledger.deposit(account, 7_00, "racing the swap")
                world.record(ledger, start)
                envelope = to_envelope(all_events(world.store)[-1])
                current = world.mongo["accounts"].find_one({"_id": str(account.id)})
                projected = MONGO_PROJECTION.project(envelope, current)
                assert projected.doc is not None and len(projected.inserts) == 2
                for kind, line in projected.inserts:
                    world.mongo[kind].insert_one(line)
                self.doc = projected.doc
            if name == "tail":
                world.mongo["accounts"].replace_one({"_id": str(account.id)}, self.doc)

        def progress(self, done: int, total: int) -> None:
            pass

    report = rebuild(world.store, world.targets("mongo"), observer=LiveProjectorRacingTheSwap())

    assert report.tail_events == 1
    assert world.mongo_dump() == world.expected_mongo()


def test_a_rebuild_holding_few_documents_in_memory_gives_the_same_read_models(
    world: World,
) -> None:
    """With room for three documents the builder writes evicted ones early and reads them back,
    and the tail rebuilds evicted streams' state from the event store."""
    ledger = busy_ledger(300, users=6)
    world.append(ledger.envelopes[:250])

    class ArrivalsDuringTheSwap:
        def phase(self, name: str, detail: str = "") -> None:
            if name == "swapping" and detail.startswith("mongo"):
                world.record(ledger, 250)

        def progress(self, done: int, total: int) -> None:
            pass

    report = rebuild(
        world.store,
        world.targets("mongo", "search"),
        RebuildOptions(batch_size=40, max_cached_documents=3),
        ArrivalsDuringTheSwap(),
    )

    assert report.tail_events == len(ledger.envelopes) - 250
    assert world.mongo_dump() == world.expected_mongo()
    assert world.search_dump() == world.expected_search()


def test_a_rebuild_swaps_although_every_read_of_the_store_finds_a_new_event(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a busy store events arrive faster than a pass over it ends; a rebuild (or verify)
    that waited for a read returning nothing never swapped. Here every read of the store is
    followed by one more deposit, so the store is never quiet while the rebuild reads it."""
    ledger = busy_ledger(300, users=5)
    world.append(ledger.envelopes)
    account = next(iter(ledger.accounts.values()))
    original_read = ReplaySource.read
    arrivals = 0

    def read_then_deposit(self: ReplaySource, after: Checkpoint, limit: int) -> list[Any]:
        nonlocal arrivals
        events = original_read(self, after, limit)
        if arrivals < 200:  # bounded, so the old behaviour fails rather than hangs
            arrivals += 1
            start = len(ledger.envelopes)
            ledger.deposit(account, 1, "arriving")
            world.record(ledger, start)
        return events

    monkeypatch.setattr(ReplaySource, "read", read_then_deposit)
    rebuild(world.store, world.targets("mongo", "search"), RebuildOptions(batch_size=50))
    monkeypatch.undo()

    assert arrivals < 50, f"the rebuild read the store {arrivals} times chasing new events"
    # The deposits that arrived after its last read reach the live model through the live
    # projector; here, where none runs, a second rebuild shows nothing else was lost.
    rebuild(world.store, world.targets("mongo", "search"), RebuildOptions(batch_size=50))
    assert world.mongo_dump() == world.expected_mongo()
    assert world.search_dump() == world.expected_search()
