"""Webhook deliveries and their attempts, in PostgreSQL: the notifier's durable work queue.

A delivery is one event for one endpoint. Its id is the Standard Webhooks ``webhook-id``,
derived from (endpoint, event), so an event consumed twice (a notifier killed before its offset
commit) makes the same delivery, which ``INSERT ... ON CONFLICT DO NOTHING`` keeps once. The body
is stored as the exact bytes that are signed and sent, so every retry sends the same payload.

Claiming: a dispatcher takes due deliveries by setting ``claimed_until`` (a lease) in one
statement; another notifier instance skips claimed rows, and a delivery whose claimant died is
due again when its lease ends. At most ``per_endpoint`` deliveries of one endpoint are claimed at
a time across all instances, so one slow receiver holds only its own slots.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import class_row

from projections.notifier.endpoints import Connect

DDL = """
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id               text PRIMARY KEY,
    endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints ON DELETE CASCADE,
    event_type       text NOT NULL,
    event_id         text NOT NULL,
    position         bigint,
    body             text NOT NULL,
    created_at       timestamptz NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    claimed_until    timestamptz,
    last_attempt_at  timestamptz,
    last_status_code integer,
    last_error       text,
    delivered_at     timestamptz
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due_idx
    ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_endpoint_idx
    ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
CREATE TABLE IF NOT EXISTS webhook_attempts (
    delivery_id  text NOT NULL REFERENCES webhook_deliveries ON DELETE CASCADE,
    attempt      integer NOT NULL,
    started_at   timestamptz NOT NULL,
    status_code  integer,
    latency_ms   integer NOT NULL,
    error        text,
    PRIMARY KEY (delivery_id, attempt)
);
"""


def delivery_id(endpoint_id: uuid.UUID, event_id: str) -> str:
    digest = hashlib.sha256(f"{endpoint_id}:{event_id}".encode()).digest()[:16]
    return "msg_" + base64.b32encode(digest).decode().rstrip("=").lower()


@dataclass(frozen=True)
class NewDelivery:
    id: str
    endpoint_id: uuid.UUID
    event_type: str
    event_id: str
    position: int | None
    body: str


@dataclass(frozen=True)
class ClaimedDelivery:
    id: str
    endpoint_id: uuid.UUID
    url: str
    body: str
    attempts: int


@dataclass(frozen=True)
class Attempt:
    started_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class DeliveryRow:
    id: str
    endpoint_id: uuid.UUID
    event_type: str
    event_id: str
    created_at: datetime
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None


@dataclass(frozen=True)
class AttemptRow:
    attempt: int
    started_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None


_ROW_COLUMNS = (
    "id, endpoint_id, event_type, event_id, created_at, status, attempts, next_attempt_at,"
    " last_attempt_at, last_status_code, last_error, delivered_at"
)

_CLAIM = """
WITH busy AS (
    SELECT endpoint_id, count(*) AS n FROM webhook_deliveries
    WHERE status = 'pending' AND claimed_until > %(now)s
    GROUP BY endpoint_id
), due AS (
    SELECT d.id, d.endpoint_id,
           row_number() OVER (PARTITION BY d.endpoint_id
                              ORDER BY d.next_attempt_at, d.position NULLS LAST, d.id) AS rank
    FROM (
        SELECT id, endpoint_id, next_attempt_at, position FROM webhook_deliveries
        WHERE status = 'pending' AND next_attempt_at <= %(now)s
          AND (claimed_until IS NULL OR claimed_until <= %(now)s)
        ORDER BY next_attempt_at
        LIMIT %(scan)s
    ) AS d
    JOIN webhook_endpoints AS e ON e.id = d.endpoint_id AND e.enabled
), chosen AS (
    SELECT due.id FROM due LEFT JOIN busy USING (endpoint_id)
    WHERE due.rank <= %(per_endpoint)s - coalesce(busy.n, 0)
    ORDER BY due.rank
    LIMIT %(limit)s
)
UPDATE webhook_deliveries AS d SET claimed_until = %(lease)s
FROM chosen, webhook_endpoints AS e
WHERE d.id = chosen.id AND e.id = d.endpoint_id
  -- re-checked on the row's latest version if another claimant got there first
  AND d.status = 'pending' AND (d.claimed_until IS NULL OR d.claimed_until <= %(now)s)
RETURNING d.id, d.endpoint_id, e.url, d.body, d.attempts
"""


def add_deliveries(
    conn: psycopg.Connection[Any], deliveries: Sequence[NewDelivery], now: datetime
) -> None:
    """Record new deliveries, due now; ones that exist already are left as they are."""
    if not deliveries:
        return
    with conn.cursor() as cursor:
        cursor.executemany(
            b"INSERT INTO webhook_deliveries (id, endpoint_id, event_type, event_id,"
            b" position, body, created_at, next_attempt_at)"
            b" VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
            [
                (d.id, d.endpoint_id, d.event_type, d.event_id, d.position, d.body, now, now)
                for d in deliveries
            ],
        )


class DeliveryStore:
    def __init__(self, connect: Connect) -> None:
        self._connect = connect

    def claim_due(
        self, now: datetime, *, limit: int, per_endpoint: int, lease: timedelta
    ) -> list[ClaimedDelivery]:
        params = {
            "now": now,
            "lease": now + lease,
            "limit": limit,
            "per_endpoint": per_endpoint,
            "scan": max(limit * 10, 1000),
        }
        with self._connect() as conn, conn.cursor(row_factory=class_row(ClaimedDelivery)) as cur:
            return cur.execute(_CLAIM.encode(), params).fetchall()

    def record(
        self, delivery: ClaimedDelivery, attempt: Attempt, next_attempt_at: datetime | None
    ) -> datetime | None:
        """Store one attempt's outcome: delivered, due again at ``next_attempt_at``, or (None)
        failed for good. Returns since when the endpoint has been failing (None: it is not).
        Nothing is stored for a delivery whose endpoint was deleted meanwhile."""
        number = delivery.attempts + 1
        status = "delivered" if attempt.delivered else "pending" if next_attempt_at else "failed"
        with self._connect() as conn, conn.transaction():
            exists = conn.execute(
                b"SELECT 1 FROM webhook_deliveries WHERE id = %s FOR UPDATE", (delivery.id,)
            ).fetchone()
            if exists is None:  # its endpoint was deleted while the request was in flight
                return None
            conn.execute(
                b"INSERT INTO webhook_attempts (delivery_id, attempt, started_at, status_code,"
                b" latency_ms, error) VALUES (%s, %s, %s, %s, %s, %s)"
                b" ON CONFLICT DO NOTHING",
                (
                    delivery.id,
                    number,
                    attempt.started_at,
                    attempt.status_code,
                    attempt.latency_ms,
                    attempt.error,
                ),
            )
            conn.execute(
                b"UPDATE webhook_deliveries SET status = %s, attempts = %s, claimed_until = NULL,"
                b" next_attempt_at = %s, last_attempt_at = %s, last_status_code = %s,"
                b" last_error = %s, delivered_at = %s WHERE id = %s",
                (
                    status,
                    number,
                    None if attempt.delivered else next_attempt_at,
                    attempt.started_at,
                    attempt.status_code,
                    attempt.error,
                    attempt.started_at if attempt.delivered else None,
                    delivery.id,
                ),
            )
            # Only a failure, or the first success after failures, writes the endpoint row.
            row = conn.execute(
                b"UPDATE webhook_endpoints SET failing_since ="
                b" CASE WHEN %(ok)s THEN NULL ELSE coalesce(failing_since, %(now)s) END"
                b" WHERE id = %(id)s AND (failing_since IS NOT NULL OR NOT %(ok)s)"
                b" RETURNING failing_since",
                {"ok": attempt.delivered, "now": attempt.started_at, "id": delivery.endpoint_id},
            ).fetchone()
        return row[0] if row else None

    def release(self, delivery: ClaimedDelivery) -> None:
        """Give a claimed delivery back unattempted (the dispatcher is stopping)."""
        with self._connect() as conn:
            conn.execute(
                b"UPDATE webhook_deliveries SET claimed_until = NULL WHERE id = %s",
                (delivery.id,),
            )

    def listing(
        self, endpoint_id: uuid.UUID, *, limit: int, before: tuple[datetime, str] | None = None
    ) -> list[DeliveryRow]:
        """The endpoint's deliveries, newest first, after the cursor ``before``."""
        query = f"SELECT {_ROW_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = %s"
        params: list[Any] = [endpoint_id]
        if before is not None:
            query += " AND (created_at, id) < (%s, %s)"
            params += list(before)
        query += " ORDER BY created_at DESC, id DESC LIMIT %s"
        params.append(limit)
        with self._connect() as conn, conn.cursor(row_factory=class_row(DeliveryRow)) as cur:
            return cur.execute(query.encode(), params).fetchall()

    def attempts(self, delivery_ids: Sequence[str]) -> dict[str, list[AttemptRow]]:
        with self._connect() as conn:
            rows = conn.execute(
                b"SELECT delivery_id, attempt, started_at, status_code, latency_ms, error"
                b" FROM webhook_attempts WHERE delivery_id = ANY(%s)"
                b" ORDER BY delivery_id, attempt",
                (list(delivery_ids),),
            ).fetchall()
        result: dict[str, list[AttemptRow]] = {key: [] for key in delivery_ids}
        for delivery, *rest in rows:
            result[delivery].append(AttemptRow(*rest))
        return result

    def retry_now(self, endpoint_id: uuid.UUID, delivery: str, now: datetime) -> bool:
        """Make a delivery due now (same id, same body); False if the endpoint has no such
        delivery. A delivered one is sent again: the caller asked for it."""
        with self._connect() as conn:
            changed = conn.execute(
                b"UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = %s"
                b" WHERE id = %s AND endpoint_id = %s",
                (now, delivery, endpoint_id),
            ).rowcount
        return changed > 0
