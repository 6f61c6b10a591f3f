"""Personal data leaves the event store sealed, and consumers open it through the key table with
a short-lived cache that forgetting defeats within a stated bound (projections/unsealing.py)."""

from __future__ import annotations

import pytest

from commands.bus import CommandBus
from commands.context import ANONYMOUS, Principal
from commands.messages import ChangeProfile, ForgetPersonalData, RegisterUser
from event_store.commit_order import read_committed
from event_store.records import Checkpoint
from event_store.store import EventStore
from projections.envelope import to_envelope
from projections.operations import Envelope
from projections.unsealing import KeyCache, SealedDataWithoutKeyStore, Unsealer, personal_values
from tests.commands.conftest import context

EMAIL, NAME = "grace.hopper@navy.example", "Grace Brewster Hopper"
TTL_S = 10.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def _register(bus: CommandBus) -> Principal:
    result = bus.execute(RegisterUser(email=EMAIL, full_name=NAME), context(ANONYMOUS))
    return Principal(result.id, frozenset({"customer"}))


def _published(store: EventStore) -> list[Envelope]:
    """The envelopes the relay would publish: from records read as stored."""
    return [to_envelope(e) for e in read_committed(store, Checkpoint(), 100)]


def test_envelopes_carry_personal_fields_sealed_with_a_key_reference(
    event_store: EventStore,
) -> None:
    bus = CommandBus(event_store)
    grace = _register(bus)
    (registered,) = _published(event_store)
    assert registered["sealed"] == {
        "scheme": "pii:v1",
        "key_id": str(grace.user_id),
        "fields": ["email", "full_name"],
    }
    assert registered["data"]["email"].startswith("pii:v1:")
    assert EMAIL not in str(registered) and NAME not in str(registered)
    assert registered["data"]["roles"] == ["customer"]  # not personal: in clear
    revealed = [to_envelope(e) for e in read_committed(event_store, Checkpoint(), 10, reveal=True)]
    assert revealed[0]["data"]["email"] == EMAIL and "sealed" not in revealed[0]


def test_a_consumer_opens_sealed_fields_with_the_subjects_key(event_store: EventStore) -> None:
    bus = CommandBus(event_store)
    grace = _register(bus)
    assert grace.user_id is not None
    bus.execute(ChangeProfile(grace.user_id, full_name="Grace Hopper"), context(grace))
    keys = KeyCache(event_store, ttl_s=TTL_S, clock=FakeClock())
    registered, changed = Unsealer(keys).reveal(_published(event_store))
    assert (registered["data"]["email"], registered["data"]["full_name"]) == (EMAIL, NAME)
    assert changed["data"]["full_name"] == "Grace Hopper"
    assert keys.lookups == 1  # one query for the whole batch
    assert personal_values(registered) == [EMAIL, NAME]


def test_a_forgotten_users_key_is_used_at_most_ttl_after_the_forget_returned(
    event_store: EventStore,
) -> None:
    """The bound of projections/unsealing.py, at both edges, with an injected clock."""
    bus = CommandBus(event_store)
    grace = _register(bus)
    assert grace.user_id is not None
    in_flight = _published(event_store)  # UserRegistered, not yet projected
    clock = FakeClock()
    keys = KeyCache(event_store, ttl_s=TTL_S, clock=clock)
    unsealer = Unsealer(keys)
    assert unsealer.reveal(in_flight)[0]["data"]["email"] == EMAIL  # key now cached
    bus.execute(ForgetPersonalData(grace.user_id), context(grace))  # deletes the key

    clock.now += TTL_S - 0.001  # still inside the stated window: the cached key opens it
    assert unsealer.reveal(in_flight)[0]["data"]["email"] == EMAIL
    clock.now += 0.001  # the window has passed: the key is read again, and it is gone
    opened = unsealer.reveal(in_flight)[0]["data"]
    assert (opened["email"], opened["full_name"]) == (None, None)
    assert keys.lookups == 2
    clock.now += 3600  # forgotten for good: no more queries for this subject
    assert unsealer.reveal(in_flight)[0]["data"]["email"] is None
    assert keys.lookups == 2


def test_the_forgotten_event_closes_the_subject_at_once_for_the_rest_of_the_batch(
    event_store: EventStore,
) -> None:
    bus = CommandBus(event_store)
    grace = _register(bus)
    assert grace.user_id is not None
    bus.execute(ChangeProfile(grace.user_id, full_name="Grace Hopper"), context(grace))
    keys = KeyCache(event_store, ttl_s=TTL_S, clock=FakeClock())
    unsealer = Unsealer(keys)
    published = _published(event_store)
    unsealer.reveal(published)  # key cached
    registered, changed = published
    forgotten: Envelope = {**changed, "type": "UserPersonalDataForgotten", "data": {}}
    del forgotten["sealed"]
    # A redelivery: the events before the forgetting come again after it, in one batch.
    batch = unsealer.reveal([registered, forgotten, registered, changed])
    assert batch[0]["data"]["email"] == EMAIL  # before the forgotten event: still the key's
    assert batch[2]["data"]["email"] is None and batch[3]["data"]["full_name"] is None
    assert unsealer.reveal([registered])[0]["data"]["email"] is None  # and in later batches


def test_another_subjects_key_does_not_open_a_record(event_store: EventStore) -> None:
    bus = CommandBus(event_store)
    _register(bus)
    other = bus.execute(
        RegisterUser(email="someone@example.com", full_name="Some One"), context(ANONYMOUS)
    )
    (grace_registered, _) = _published(event_store)
    forged = {**grace_registered, "sealed": {**grace_registered["sealed"], "key_id": str(other.id)}}
    opened = Unsealer(KeyCache(event_store)).reveal([forged])[0]["data"]
    assert (opened["email"], opened["full_name"]) == (None, None)


def test_sealed_records_without_a_key_store_stop_the_consumer(event_store: EventStore) -> None:
    _register(CommandBus(event_store))
    with pytest.raises(SealedDataWithoutKeyStore):
        Unsealer(None).reveal(_published(event_store))
