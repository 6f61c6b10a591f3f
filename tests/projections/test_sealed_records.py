"""Projectors fed sealed records (as the relay publishes them) open them through the key table:
the read models hold the personal data before forgetting and null after, and a record from
before the forgetting that arrives after it writes nothing personal."""

from __future__ import annotations

from typing import Any

from commands.bus import CommandBus
from commands.context import ANONYMOUS, Principal
from commands.messages import ChangeProfile, ForgetPersonalData, RegisterUser
from event_store.commit_order import checkpoint_of, read_committed
from event_store.records import Checkpoint
from event_store.store import EventStore
from projections.envelope import to_envelope
from tests.commands.conftest import context
from tests.projections.conftest import Pipeline, RunningProjector, mongo_dump, search_dump
from tests.projections.support import wait_for

EMAIL, NAME, NEW_NAME = "grace.hopper@navy.example", "Grace Brewster Hopper", "Amazing Grace"


class Relayed:
    """The store's new events as the relay publishes them (sealed)."""

    def __init__(self, store: EventStore) -> None:
        self.store, self.after = store, Checkpoint()

    def new(self) -> list[dict[str, Any]]:
        events = read_committed(self.store, self.after, 1000)
        self.after = checkpoint_of(events[-1])
        return [to_envelope(e) for e in events]


def test_projectors_open_sealed_records_and_forgetting_closes_them(
    pipeline: Pipeline, event_store: EventStore, database_url: str
) -> None:
    bus = CommandBus(event_store)
    relay = Relayed(event_store)
    grace_id = bus.execute(RegisterUser(email=EMAIL, full_name=NAME), context(ANONYMOUS)).id
    grace = Principal(grace_id, frozenset({"customer"}))
    (registered,) = relay.new()
    assert NAME not in str(registered)
    pipeline.publish([registered])
    # TTL 0: every batch reads its keys from PostgreSQL, so the forgetting shows at once.
    mongo = pipeline.options("mongo", database_url=database_url, personal_data_key_ttl_s=0.0)
    search = pipeline.options("search", database_url=database_url, personal_data_key_ttl_s=0.0)
    users = pipeline.mongo["users"]
    with RunningProjector(mongo), RunningProjector(search):
        wait_for(lambda: users.find_one({"_id": str(grace_id)}) is not None, 30, what="user")
        user = users.find_one({"_id": str(grace_id)})
        assert user is not None and (user["email"], user["full_name"]) == (EMAIL, NAME)
        pipeline.wait_caught_up(search.group_id)
        indexed = search_dump(pipeline.search, pipeline.search_prefix)["users"][str(grace_id)]
        assert (indexed["email"], indexed["full_name"]) == (EMAIL, NAME)

        # A profile change committed before the forgetting, still in flight after it returned.
        bus.execute(ChangeProfile(grace_id, full_name=NEW_NAME), context(grace))
        bus.execute(ForgetPersonalData(grace_id), context(grace))
        changed, forgotten = relay.new()
        assert changed["sealed"]["fields"] == ["full_name"]
        pipeline.publish([changed])
        pipeline.wait_caught_up(mongo.group_id)
        pipeline.wait_caught_up(search.group_id)
        user = users.find_one({"_id": str(grace_id)})
        assert user is not None and (user["version"], user["full_name"]) == (2, NAME)
        assert NEW_NAME not in str(search_dump(pipeline.search, pipeline.search_prefix))

        pipeline.publish([forgotten])
        pipeline.wait_caught_up(mongo.group_id)
        pipeline.wait_caught_up(search.group_id)

    everything = str(mongo_dump(pipeline.mongo)) + str(
        search_dump(pipeline.search, pipeline.search_prefix)
    )
    for value in (EMAIL, NAME, NEW_NAME):
        assert value not in everything
    user = users.find_one({"_id": str(grace_id)})
    assert user is not None
    assert (user["email"], user["full_name"], user["personal_data_forgotten"]) == (
        None,
        None,
        True,
    )
    assert user["version"] == forgotten["version"] == 3
