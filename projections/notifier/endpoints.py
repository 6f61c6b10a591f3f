"""Webhook endpoints and their signing secrets, in PostgreSQL beside the event store.

Endpoints are the notification service's configuration, not domain facts: they live in tables
(``webhook_endpoints``, ``webhook_secrets``) that the write API changes and the query API and the
notifier read, not in the event stream. Secrets are stored sealed (AES-256-GCM under a key
derived from ``LEDGERLINE_SIGNING_KEY_SECRET``, the endpoint id as associated data) and shown in
clear once, when made. A rotation keeps the old secret signing beside the new one for
``ROTATION_OVERLAP`` (24 h), so receivers can switch without missing a delivery.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from event_store.store import EventStore
from infra.auth.keys import decode_secret
from infra.settings import Settings
from projections.notifier.signing import new_secret

Connect = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]
ROTATION_OVERLAP = timedelta(hours=24)
DISABLED_FOR_FAILING = "every delivery failed for 5 days"

DDL = """
CREATE TABLE IF NOT EXISTS webhook_endpoints (
    id              uuid PRIMARY KEY,
    owner_id        uuid NOT NULL,
    url             text NOT NULL,
    event_types     text[] NOT NULL,
    description     text NOT NULL DEFAULT '',
    enabled         boolean NOT NULL DEFAULT true,
    disabled_reason text,
    -- Start of the current run of failed deliveries (NULL after any success): an endpoint that
    -- has only failed for schedule.DISABLE_AFTER is disabled.
    failing_since   timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_endpoints_owner_idx ON webhook_endpoints (owner_id);
CREATE TABLE IF NOT EXISTS webhook_secrets (
    endpoint_id  uuid NOT NULL REFERENCES webhook_endpoints ON DELETE CASCADE,
    secret_id    bigint GENERATED ALWAYS AS IDENTITY,
    sealed       bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    PRIMARY KEY (endpoint_id, secret_id)
);
"""

_COLUMNS = (
    "id, owner_id, url, event_types, description, enabled, disabled_reason, failing_since,"
    " created_at, updated_at"
)


@dataclass(frozen=True)
class Endpoint:
    id: uuid.UUID
    owner_id: uuid.UUID
    url: str
    event_types: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime

    def wants(self, public_type: str) -> bool:
        return "*" in self.event_types or public_type in self.event_types


class SecretBox:
    """Seals endpoint secrets (and answers that carry one) under a key derived from the
    operator's signing-key secret, bound to the id of what they belong to."""

    def __init__(self, operator_secret: bytes) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"ledgerline webhook secrets"
        ).derive(operator_secret)
        self._aead = AESGCM(key)

    def seal(self, endpoint_id: uuid.UUID, secret: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, secret.encode(), endpoint_id.bytes)

    def open(self, endpoint_id: uuid.UUID, sealed: bytes) -> str:
        return self._aead.decrypt(sealed[:12], sealed[12:], endpoint_id.bytes).decode()


class EndpointStore:
    def __init__(self, connect: Connect, box: SecretBox) -> None:
        self._connect = connect
        self._box = box

    def on(self, connect: Connect) -> EndpointStore:
        """The same store working through ``connect`` (one caller's transaction)."""
        return EndpointStore(connect, self._box)

    def seal_answer(self, bound_to: uuid.UUID, answer: str) -> bytes:
        """An answer that carries a secret, sealed for keeping (write_api.idempotent_calls)."""
        return self._box.seal(bound_to, answer)

    def open_answer(self, bound_to: uuid.UUID, sealed: bytes) -> str:
        return self._box.open(bound_to, sealed)

    def create(
        self,
        owner_id: uuid.UUID,
        url: str,
        event_types: Sequence[str],
        description: str,
        now: datetime,
    ) -> tuple[Endpoint, str]:
        """The new endpoint and its secret (the only time the secret is returned)."""
        endpoint_id, secret = uuid.uuid4(), new_secret()
        with self._connect() as conn, conn.transaction():
            row = conn.execute(
                f"INSERT INTO webhook_endpoints (id, owner_id, url, event_types, description,"
                f" created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                f" RETURNING {_COLUMNS}".encode(),
                (endpoint_id, owner_id, url, list(event_types), description, now, now),
            ).fetchone()
            self._add_secret(conn, endpoint_id, secret, now)
        assert row is not None
        return Endpoint(*row), secret

    def get(self, endpoint_id: uuid.UUID) -> Endpoint | None:
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE id = %s".encode(), (endpoint_id,)
            ).fetchone()
        return Endpoint(*row) if row else None

    def listing(self, owner_id: uuid.UUID | None) -> list[Endpoint]:
        """The owner's endpoints (every endpoint for None), oldest first."""
        query = f"SELECT {_COLUMNS} FROM webhook_endpoints"
        params: tuple[Any, ...] = ()
        if owner_id is not None:
            query += " WHERE owner_id = %s"
            params = (owner_id,)
        with self._connect() as conn:
            rows = conn.execute(f"{query} ORDER BY created_at, id".encode(), params).fetchall()
        return [Endpoint(*row) for row in rows]

    def of_owners(self, owner_ids: Iterable[uuid.UUID]) -> list[Endpoint]:
        """The enabled endpoints of these owners (the notifier's match, one query per batch)."""
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM webhook_endpoints"
                f" WHERE owner_id = ANY(%s) AND enabled".encode(),
                (list(set(owner_ids)),),
            ).fetchall()
        return [Endpoint(*row) for row in rows]

    def update(self, endpoint_id: uuid.UUID, changes: dict[str, Any], now: datetime) -> Endpoint:
        """Apply ``changes`` (url, event_types, description, enabled); enabling clears the
        reason a disabled endpoint was disabled and its failure run."""
        allowed = {"url", "event_types", "description", "enabled"}
        if not changes.keys() <= allowed:
            raise ValueError(f"cannot change {sorted(changes.keys() - allowed)}")
        sets = [f"{column} = %({column})s" for column in changes]
        if changes.get("enabled") is True:
            sets += ["disabled_reason = NULL", "failing_since = NULL"]
        elif changes.get("enabled") is False:
            sets.append("disabled_reason = 'disabled by its owner'")
        sets.append("updated_at = %(now)s")
        with self._connect() as conn:
            row = conn.execute(
                f"UPDATE webhook_endpoints SET {', '.join(sets)} WHERE id = %(id)s"
                f" RETURNING {_COLUMNS}".encode(),
                {**changes, "now": now, "id": endpoint_id},
            ).fetchone()
        if row is None:
            raise LookupError(endpoint_id)
        return Endpoint(*row)

    def delete(self, endpoint_id: uuid.UUID) -> bool:
        with self._connect() as conn:
            deleted = conn.execute(
                b"DELETE FROM webhook_endpoints WHERE id = %s", (endpoint_id,)
            ).rowcount
        return deleted > 0

    def rotate_secret(self, endpoint_id: uuid.UUID, now: datetime) -> str:
        """A new secret; the ones in force keep signing for ``ROTATION_OVERLAP``."""
        secret = new_secret()
        with self._connect() as conn, conn.transaction():
            conn.execute(
                b"UPDATE webhook_secrets SET expires_at = %s"
                b" WHERE endpoint_id = %s AND (expires_at IS NULL OR expires_at > %s)",
                (now + ROTATION_OVERLAP, endpoint_id, now + ROTATION_OVERLAP),
            )
            self._add_secret(conn, endpoint_id, secret, now)
        return secret

    def secrets_in_force(self, endpoint_id: uuid.UUID, now: datetime) -> list[str]:
        """The secrets a delivery is signed with, newest first."""
        with self._connect() as conn:
            rows = conn.execute(
                b"SELECT sealed FROM webhook_secrets WHERE endpoint_id = %s"
                b" AND (expires_at IS NULL OR expires_at > %s) ORDER BY secret_id DESC",
                (endpoint_id, now),
            ).fetchall()
        return [self._box.open(endpoint_id, bytes(row[0])) for row in rows]

    def count_disabled(self) -> dict[str, int]:
        """Disabled endpoints by why: "failing" (every delivery failed for 5 days, the
        dispatcher's doing) or "owner" (disabled through the API)."""
        with self._connect() as conn:
            failing, by_owner = conn.execute(
                b"SELECT count(*) FILTER (WHERE disabled_reason = %s),"
                b" count(*) FILTER (WHERE disabled_reason IS DISTINCT FROM %s)"
                b" FROM webhook_endpoints WHERE NOT enabled",
                (DISABLED_FOR_FAILING, DISABLED_FOR_FAILING),
            ).fetchone() or (0, 0)
        return {"failing": int(failing), "owner": int(by_owner)}

    def disable_failing(self, endpoint_id: uuid.UUID, now: datetime) -> bool:
        """Disable the endpoint for failing; False if it was not enabled (nobody to tell)."""
        with self._connect() as conn:
            changed = conn.execute(
                b"UPDATE webhook_endpoints SET enabled = false, updated_at = %s,"
                b" disabled_reason = %s WHERE id = %s AND enabled",
                (now, DISABLED_FOR_FAILING, endpoint_id),
            ).rowcount
        return changed > 0

    def _add_secret(
        self, conn: psycopg.Connection[Any], endpoint_id: uuid.UUID, secret: str, now: datetime
    ) -> None:
        conn.execute(
            b"INSERT INTO webhook_secrets (endpoint_id, sealed, created_at) VALUES (%s, %s, %s)",
            (endpoint_id, self._box.seal(endpoint_id, secret), now),
        )


def endpoint_store(settings: Settings, store: EventStore) -> EndpointStore:
    box = SecretBox(decode_secret(settings.signing_key_secret.get_secret_value()))
    return EndpointStore(store.connection, box)
