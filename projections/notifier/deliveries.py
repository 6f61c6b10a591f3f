"""Webhook deliveries and their attempts, in PostgreSQL: the notifier's durable work queue.

A delivery is one event for one endpoint. Its id is the Standard Webhooks ``webhook-id``,
derived from (endpoint, event), so an event consumed twice (a notifier killed before its offset
commit) makes the same delivery, which ``INSERT ... ON CONFLICT DO NOTHING`` keeps once. The body
is stored as the exact bytes that are signed and sent, so every retry sends the same payload.

Claiming: a dispatcher takes due deliveries by setting ``claimed_until`` (a lease) in one
statement; another notifier instance skips claimed rows, and a delivery whose claimant died is
due again when its lease ends. At most ``per_endpoint`` deliveries of one endpoint are claimed at
a time across all instances, so one slow receiver holds only its own slots.

``traceparent`` is that of the notifier span that planned the delivery (its event's trace, when
sampled): every attempt, a retry days later too, is a span of that trace (``dispatcher``).
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
    delivered_at     timestamptz,
    traceparent      text
);
ALTER TABLE webhook_deliveries ADD COLUMN IF NOT EXISTS traceparent text;
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
    url: str
    event_type: str
    event_id: str
    position: int | None
    body: str
    traceparent: str | None = None


@dataclass(frozen=True)
class ClaimedDelivery:
    id: str
    endpoint_id: uuid.UUID
    url: str
    body: str
    attempts: int
    traceparent: str | None = None


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
class Outcome:
    """One attempt of one claimed delivery, and when to try again (None: give up)."""

    delivery: ClaimedDelivery
    attempt: Attempt
    retry_at: datetime | None

    @property
    def status(self) -> str:
        if self.attempt.delivered:
            return "delivered"
        return "pending" if self.retry_at is not None else "failed"


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
RETURNING d.id, d.endpoint_id, e.url, d.body, d.attempts, d.traceparent
"""


def add_deliveries(
    conn: psycopg.Connection[Any],
    deliveries: Sequence[NewDelivery],
    now: datetime,
    *,
    claimed_until: datetime | None = None,
) -> list[ClaimedDelivery]:
    """Record new deliveries, due now, and return the ones that were new (ones that exist
    already are left as they are). With ``claimed_until`` the new ones are claimed at once by
    the caller, which sends them without claiming them again."""
    if not deliveries:
        return []
    rows = conn.execute(
        b"INSERT INTO webhook_deliveries (id, endpoint_id, event_type, event_id, position, body,"
        b" traceparent, created_at, next_attempt_at, claimed_until)"
        b" SELECT v.*, %(now)s, %(now)s, %(claimed)s FROM unnest(%(id)s::text[],"
        b" %(endpoint)s::uuid[], %(type)s::text[], %(event)s::text[], %(position)s::bigint[],"
        b" %(body)s::text[], %(traceparent)s::text[])"
        b" AS v (id, endpoint_id, event_type, event_id, position, body, traceparent)"
        b" WHERE EXISTS (SELECT 1 FROM webhook_endpoints AS e WHERE e.id = v.endpoint_id)"
        b" ON CONFLICT (id) DO NOTHING RETURNING id",
        {
            "now": now,
            "claimed": claimed_until,
            "id": [d.id for d in deliveries],
            "endpoint": [d.endpoint_id for d in deliveries],
            "type": [d.event_type for d in deliveries],
            "event": [d.event_id for d in deliveries],
            "position": [d.position for d in deliveries],
            "body": [d.body for d in deliveries],
            "traceparent": [d.traceparent for d in deliveries],
        },
    ).fetchall()
    new = {row[0] for row in rows}
    return [
        ClaimedDelivery(d.id, d.endpoint_id, d.url, d.body, 0, d.traceparent)
        for d in deliveries
        if d.id in new
    ]


_UNNESTED = b"""
    SELECT * FROM unnest(%(id)s::text[], %(attempt)s::int[], %(started)s::timestamptz[],
                         %(code)s::int[], %(latency)s::int[], %(error)s::text[],
                         %(status)s::text[], %(retry)s::timestamptz[],
                         %(delivered)s::timestamptz[])
        AS v(id, attempt, started, code, latency, error, status, retry, delivered)
"""
_RECORD_ATTEMPTS = (
    b"INSERT INTO webhook_attempts (delivery_id, attempt, started_at, status_code, latency_ms,"
    b" error) SELECT v.id, v.attempt, v.started, v.code, v.latency, v.error FROM ("
    + _UNNESTED
    + b") AS v JOIN webhook_deliveries AS d ON d.id = v.id ON CONFLICT DO NOTHING"
)
_RECORD_DELIVERIES = (
    b"UPDATE webhook_deliveries AS d SET status = v.status, attempts = v.attempt,"
    b" claimed_until = NULL, next_attempt_at = v.retry, last_attempt_at = v.started,"
    b" last_status_code = v.code, last_error = v.error, delivered_at = v.delivered"
    b" FROM (" + _UNNESTED + b") AS v WHERE d.id = v.id"
)
# Only a failure, or the first success after failures, writes an endpoint's row.
_RECORD_ENDPOINTS = (
    b"UPDATE webhook_endpoints AS e SET failing_since ="
    b" CASE WHEN v.ok THEN NULL ELSE coalesce(e.failing_since, v.at) END"
    b" FROM unnest(%(endpoint)s::uuid[], %(ok)s::bool[], %(at)s::timestamptz[]) AS v(id, ok, at)"
    b" WHERE e.id = v.id AND (e.failing_since IS NOT NULL OR NOT v.ok)"
    b" RETURNING e.id, e.failing_since"
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

    def record(self, outcomes: Sequence[Outcome]) -> dict[uuid.UUID, datetime | None]:
        """Store attempts' outcomes in one transaction: each delivery delivered, due again at
        its ``retry_at``, or (None) failed for good. Returns, for every endpoint whose failure
        run started, continued or ended, since when it has been failing (None: it is not).
        Attempts of deliveries deleted meanwhile (with their endpoint) are dropped."""
        if not outcomes:
            return {}
        rows = {
            "id": [o.delivery.id for o in outcomes],
            "attempt": [o.delivery.attempts + 1 for o in outcomes],
            "started": [o.attempt.started_at for o in outcomes],
            "code": [o.attempt.status_code for o in outcomes],
            "latency": [o.attempt.latency_ms for o in outcomes],
            "error": [o.attempt.error for o in outcomes],
            "status": [o.status for o in outcomes],
            "retry": [o.retry_at if o.status == "pending" else None for o in outcomes],
            "delivered": [o.attempt.started_at if o.attempt.delivered else None for o in outcomes],
        }
        last: dict[uuid.UUID, Outcome] = {}
        for outcome in outcomes:  # an endpoint's run of failures follows its latest attempt
            last[outcome.delivery.endpoint_id] = outcome
        endpoints = {
            "endpoint": list(last),
            "ok": [o.attempt.delivered for o in last.values()],
            "at": [o.attempt.started_at for o in last.values()],
        }
        with self._connect() as conn, conn.transaction():
            conn.execute(_RECORD_ATTEMPTS, rows)
            conn.execute(_RECORD_DELIVERIES, rows)
            changed = conn.execute(_RECORD_ENDPOINTS, endpoints).fetchall()
        return {endpoint: since for endpoint, since in changed}

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
