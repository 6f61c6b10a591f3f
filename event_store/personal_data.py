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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class PersonalFields:
    """Which fields of an event type hold personal data, and whose: the stream's own (users)
    or the user named by ``subject_field`` (a login session belongs to its user)."""

    fields: tuple[str, ...]
    subject_field: str | None = None


# Event type -> its personal fields. Password hashes and TOTP secrets count: forgetting a user
# must destroy them too. What identifies nobody stays readable, like roles and amounts: the
# language of a user's e-mails and which kinds they want (the read models drop both on
# forgetting), e-mail verification and reset records (versions, random ids, times).
PERSONAL_FIELDS: Mapping[str, PersonalFields] = {
    "UserRegistered": PersonalFields(("email", "full_name", "password_hash")),
    "UserProfileChanged": PersonalFields(("email", "full_name")),
    "UserPasswordChanged": PersonalFields(("password_hash",)),
    "UserPasswordReset": PersonalFields(("password_hash",)),
    "UserTotpEnrolmentStarted": PersonalFields(("totp_secret",)),
    "UserMfaEnabled": PersonalFields(("recovery_codes",)),
    "UserLoginSucceeded": PersonalFields(("address", "user_agent")),
    "UserLoginFailed": PersonalFields(("address", "user_agent")),
    "SessionStarted": PersonalFields(("address", "user_agent"), subject_field="user_id"),
}
SCHEME = "pii:v1"
_PREFIX = SCHEME + ":"


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def has_personal_data(event_type: str) -> bool:
    return event_type in PERSONAL_FIELDS


def subject_of(event_type: str, stream_id: UUID, data: JSONObject) -> UUID:
    """Whose key seals this event's personal fields (only for types that have some)."""
    field = PERSONAL_FIELDS[event_type].subject_field
    return stream_id if field is None else UUID(str(data[field]))


def _fields(event_type: str) -> tuple[str, ...]:
    spec = PERSONAL_FIELDS.get(event_type)
    return () if spec is None else spec.fields


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
    """The event with its personal fields encrypted under ``key`` (its subject's)."""
    subject = subject_of(event.type, event.stream_id, event.data)
    data = dict(event.data)
    for name in _fields(event.type):
        if isinstance(data.get(name), str):
            data[name] = _encrypt(data[name], key, subject)
    return dataclasses.replace(event, data=data)


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(_PREFIX)


def sealed_fields(event_type: str, data: JSONObject) -> list[str]:
    """The fields of ``data`` that hold sealed personal data (none once revealed)."""
    return [name for name in _fields(event_type) if is_sealed(data.get(name))]


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
    return unseal_fields(data, _fields(event_type), key, subject)


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
    subjects = {
        r.position: subject_of(r.type, r.stream_id, r.data)
        for r in records
        if has_personal_data(r.type)
    }
    if not subjects:
        return list(records)
    keys = load_keys(conn, subjects.values())
    return [
        dataclasses.replace(
            r, data=unseal(r.type, r.data, keys.get(subjects[r.position]), subjects[r.position])
        )
        if r.position in subjects
        else r
        for r in records
    ]
