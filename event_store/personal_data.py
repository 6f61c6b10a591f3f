"""Personal data in events, encrypted so it can be forgotten without rewriting history.

Fields that identify a person (a user's email and full name) are encrypted at append time with
AES-256-GCM under a key of that user's own, kept in ``personal_data_keys``, outside the
append-only log. Forgetting a user deletes the key: the events stay, byte for byte (so the hash
chain still verifies), but their personal fields can no longer be read and come back as None.

Stored form of an encrypted field: ``"pii:v1:" + base64(nonce || ciphertext+tag)``, a string,
so the event's JSON shape does not change. The stream id is bound in as associated data, so a
ciphertext copied into another user's event does not decrypt.

Who sees what:
- Inside the write side (command handlers, audit replays, rebuilds), readers get plaintext
  through ``reveal_records``: ``EventStore.read_stream`` always reveals, and
  ``commit_order.read_committed`` does when asked to. They see the data, or None once forgotten.
- Everything that leaves the event store (the relay's Kafka records, hence dead letters) carries
  the fields exactly as stored: sealed. ``sealed_fields`` names them, so the envelope can say
  which fields are sealed under which key (``key_id`` = the subject id, the row of
  ``personal_data_keys``). Consumers that need the clear value unseal with ``unseal_fields``
  after looking the key up; once the key is deleted nobody can, wherever a copy went.
"""

from __future__ import annotations

import base64
import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

import psycopg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from event_store.records import JSONObject, NewEvent, RecordedEvent

DDL = """
CREATE TABLE IF NOT EXISTS personal_data_keys (
    subject_id  uuid PRIMARY KEY,
    key         bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
"""

# Event type -> the fields of its data that hold personal data. The subject is the stream.
PERSONAL_FIELDS: Mapping[str, tuple[str, ...]] = {
    "UserRegistered": ("email", "full_name"),
    "UserProfileChanged": ("email", "full_name"),
}
SCHEME = "pii:v1"
_PREFIX = SCHEME + ":"


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def has_personal_data(event_type: str) -> bool:
    return event_type in PERSONAL_FIELDS


def _encrypt(value: str, key: bytes, subject: UUID) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, value.encode(), subject.bytes)
    return _PREFIX + base64.b64encode(nonce + sealed).decode()


def _decrypt(value: str, key: bytes | None, subject: UUID) -> str | None:
    if key is None:
        return None  # forgotten
    raw = base64.b64decode(value[len(_PREFIX) :])
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], subject.bytes).decode()
    except InvalidTag:
        return None  # not this subject's ciphertext: never show it


def seal(event: NewEvent, key: bytes) -> NewEvent:
    """The event with its personal fields encrypted under ``key``."""
    fields = PERSONAL_FIELDS.get(event.type, ())
    data = dict(event.data)
    for name in fields:
        if isinstance(data.get(name), str):
            data[name] = _encrypt(data[name], key, event.stream_id)
    return dataclasses.replace(event, data=data)


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(_PREFIX)


def sealed_fields(event_type: str, data: JSONObject) -> list[str]:
    """The fields of ``data`` that hold sealed personal data (none once revealed)."""
    return [name for name in PERSONAL_FIELDS.get(event_type, ()) if is_sealed(data.get(name))]


def unseal_fields(
    data: JSONObject, fields: Iterable[str], key: bytes | None, subject: UUID
) -> JSONObject:
    """``data`` with the sealed values of ``fields`` decrypted (None without the key)."""
    revealed = dict(data)
    for name in fields:
        value = revealed.get(name)
        if isinstance(value, str) and value.startswith(_PREFIX):
            revealed[name] = _decrypt(value, key, subject)
    return revealed


def unseal(event_type: str, data: JSONObject, key: bytes | None, subject: UUID) -> JSONObject:
    return unseal_fields(data, PERSONAL_FIELDS.get(event_type, ()), key, subject)


def load_keys(conn: psycopg.Connection[Any], subjects: Iterable[UUID]) -> dict[UUID, bytes]:
    wanted = list(set(subjects))
    if not wanted:
        return {}
    rows = conn.execute(
        b"SELECT subject_id, key FROM personal_data_keys WHERE subject_id = ANY(%s)", (wanted,)
    ).fetchall()
    return {row[0]: bytes(row[1]) for row in rows}


def reveal_records(
    conn: psycopg.Connection[Any], records: Sequence[RecordedEvent]
) -> list[RecordedEvent]:
    """Records with personal fields decrypted (None where the subject was forgotten)."""
    subjects = [r.stream_id for r in records if has_personal_data(r.type)]
    if not subjects:
        return list(records)
    keys = load_keys(conn, subjects)
    return [
        dataclasses.replace(r, data=unseal(r.type, r.data, keys.get(r.stream_id), r.stream_id))
        if has_personal_data(r.type)
        else r
        for r in records
    ]
