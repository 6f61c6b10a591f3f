"""Forgetting a user: personal fields are encrypted at append time under a per-user key kept
outside the log; deleting the key makes them unreadable while every event stays in place."""

from __future__ import annotations

from uuid import uuid4

import psycopg

from commands.bus import CommandBus
from commands.context import ANONYMOUS, Principal
from commands.messages import ChangeProfile, ForgetPersonalData, RegisterUser
from event_store.commit_order import read_committed
from event_store.personal_data import new_key, seal, unseal
from event_store.records import Checkpoint, NewEvent
from event_store.store import EventStore
from tests.commands.conftest import context

EMAIL, NAME = "ada.lovelace@example.com", "Ada Lovelace"


def _raw_data(database_url: str) -> str:
    with psycopg.connect(database_url) as conn:
        return " ".join(
            str(row[0]) for row in conn.execute("SELECT data::text FROM events ORDER BY position")
        )


def _register(bus: CommandBus) -> Principal:
    result = bus.execute(RegisterUser(email=EMAIL, full_name=NAME), context(ANONYMOUS))
    return Principal(result.id, frozenset({"customer"}))


def test_personal_fields_are_stored_encrypted_and_read_back_in_clear(
    event_store: EventStore, database_url: str
) -> None:
    bus = CommandBus(event_store)
    ada = _register(bus)
    assert ada.user_id is not None
    bus.execute(ChangeProfile(ada.user_id, full_name="Ada King"), context(ada))
    raw = _raw_data(database_url)
    assert "ada.lovelace" not in raw and "Lovelace" not in raw and "King" not in raw
    registered, changed = event_store.read_stream(ada.user_id)
    assert (registered.data["email"], registered.data["full_name"]) == (EMAIL, NAME)
    assert changed.data["full_name"] == "Ada King"
    assert read_committed(event_store, Checkpoint(), 10, reveal=True)[0].data["email"] == EMAIL
    assert read_committed(event_store, Checkpoint(), 10)[0].data["email"].startswith("pii:v1:")


def test_forgetting_deletes_the_key_and_keeps_every_event(
    event_store: EventStore, database_url: str
) -> None:
    bus = CommandBus(event_store)
    ada = _register(bus)
    assert ada.user_id is not None
    before = _raw_data(database_url)
    bus.execute(ForgetPersonalData(ada.user_id), context(ada))
    events = event_store.read_stream(ada.user_id)
    assert [e.type for e in events] == ["UserRegistered", "UserPersonalDataForgotten"]
    assert (events[0].data["email"], events[0].data["full_name"]) == (None, None)
    assert events[0].data["roles"] == ["customer"]  # not personal: still readable
    assert _raw_data(database_url).startswith(before)  # the stored bytes did not change
    with psycopg.connect(database_url) as conn:
        keys = conn.execute("SELECT count(*) FROM personal_data_keys").fetchone()
    assert keys == (0,)


def test_another_users_ciphertext_does_not_decrypt_under_their_key() -> None:
    ada, eve = uuid4(), uuid4()
    key = new_key()
    sealed = seal(NewEvent(ada, "User", 1, "UserRegistered", {"email": EMAIL}), key)
    assert sealed.data["email"] != EMAIL
    assert unseal("UserRegistered", sealed.data, key, ada)["email"] == EMAIL
    assert unseal("UserRegistered", sealed.data, key, eve)["email"] is None  # bound to Ada
    assert unseal("UserRegistered", sealed.data, None, ada)["email"] is None  # forgotten


def test_the_hash_chain_still_verifies_after_forgetting(
    event_store: EventStore, database_url: str
) -> None:
    from tests.audit.conftest import run_cli

    bus = CommandBus(event_store)
    ada = _register(bus)
    assert ada.user_id is not None
    bus.execute(ChangeProfile(ada.user_id, email="ada@new.example"), context(ada))
    bus.execute(ForgetPersonalData(ada.user_id), context(ada))
    result = run_cli(database_url, "verify")
    assert result.exit_code == 0, result.output
    assert "3 events, 1 streams verified" in result.output
