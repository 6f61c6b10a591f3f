"""The e-mail outbox in PostgreSQL: mails the notifier owes, sent by ``mailer_loop``.

A row names the recipient by user id, the kind, the event the mail is about (stream and
version, read again when the mail is sent) and non-personal details. The recipient's address is
never stored here: it is read from the event store at send time, so a forgotten user's mail is
skipped and no delivery log keeps their address. The id is derived from (kind, user, event), so
an event consumed twice owes one mail, and it is the mail's Message-ID, so a send retried after
a crash is recognisable as the same message. ``traceparent`` is that of the notifier span that
owed the mail (its event's trace, when sampled), so sending it is a span of that trace.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from projections.notifier.endpoints import Connect

DDL = """
CREATE TABLE IF NOT EXISTS mail_outbox (
    id               text PRIMARY KEY,
    user_id          uuid NOT NULL,
    kind             text NOT NULL,
    stream_id        uuid,
    version          bigint,
    details          jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at       timestamptz NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sent', 'skipped', 'failed')),
    outcome          text,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    claimed_until    timestamptz,
    sent_at          timestamptz,
    traceparent      text
);
ALTER TABLE mail_outbox ADD COLUMN IF NOT EXISTS traceparent text;
CREATE INDEX IF NOT EXISTS mail_outbox_due_idx
    ON mail_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS mail_outbox_user_idx ON mail_outbox (user_id, created_at);
"""

# Mail that cannot be handed to the SMTP server is tried again after these delays, then failed.
RETRY_DELAYS = (
    timedelta(seconds=10),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
)


def mail_id(kind: str, user_id: str, about: str) -> str:
    digest = hashlib.sha256(f"{kind}:{user_id}:{about}".encode()).digest()[:16]
    return "mail_" + base64.b32encode(digest).decode().rstrip("=").lower()


@dataclass(frozen=True)
class OwedMail:
    id: str
    user_id: uuid.UUID
    kind: str
    stream_id: uuid.UUID | None
    version: int | None
    details: dict[str, Any]
    traceparent: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class ClaimedMail(OwedMail):
    attempts: int  # made so far


def add_mails(conn: psycopg.Connection[Any], mails: Sequence[OwedMail], now: datetime) -> None:
    """Record owed mails, due now; ones that exist already are left as they are."""
    if not mails:
        return
    with conn.cursor() as cursor:
        cursor.executemany(
            b"INSERT INTO mail_outbox (id, user_id, kind, stream_id, version, details,"
            b" traceparent, created_at, next_attempt_at) VALUES (%s, %s, %s, %s, %s, %s, %s,"
            b" %s, %s) ON CONFLICT (id) DO NOTHING",
            [
                (
                    m.id,
                    m.user_id,
                    m.kind,
                    m.stream_id,
                    m.version,
                    Jsonb(m.details),
                    m.traceparent,
                    now,
                    now,
                )
                for m in mails
            ],
        )


def forget_recipients(conn: psycopg.Connection[Any], user_ids: Sequence[uuid.UUID]) -> None:
    """A forgotten user gets no further mail: what is still owed is skipped."""
    if not user_ids:
        return
    conn.execute(
        b"UPDATE mail_outbox SET status = 'skipped', outcome = 'the recipient was forgotten',"
        b" next_attempt_at = NULL, claimed_until = NULL"
        b" WHERE user_id = ANY(%s) AND status = 'pending'",
        (list(user_ids),),
    )


class MailOutbox:
    def __init__(self, connect: Connect) -> None:
        self._connect = connect

    def claim_due(self, now: datetime, *, limit: int, lease: timedelta) -> list[ClaimedMail]:
        with self._connect() as conn, conn.cursor(row_factory=class_row(ClaimedMail)) as cur:
            return cur.execute(
                b"UPDATE mail_outbox SET claimed_until = %(lease)s WHERE id IN ("
                b" SELECT id FROM mail_outbox WHERE status = 'pending'"
                b" AND next_attempt_at <= %(now)s"
                b" AND (claimed_until IS NULL OR claimed_until <= %(now)s)"
                b" ORDER BY next_attempt_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
                b" RETURNING id, user_id, kind, stream_id, version, details, attempts,"
                b" traceparent",
                {"now": now, "lease": now + lease, "limit": limit},
            ).fetchall()

    def finish(self, mail: ClaimedMail, status: str, outcome: str, now: datetime) -> None:
        """``sent``, ``skipped`` (preference off, forgotten user, known device) or ``failed``;
        ``outcome`` says why, in words without personal data."""
        with self._connect() as conn:
            conn.execute(
                b"UPDATE mail_outbox SET status = %s, outcome = %s, attempts = attempts + 1,"
                b" claimed_until = NULL, next_attempt_at = NULL, sent_at = %s WHERE id = %s",
                (status, outcome, now if status == "sent" else None, mail.id),
            )

    def retry_later(self, mail: ClaimedMail, outcome: str, now: datetime) -> bool:
        """Try again after the next delay; False (and failed) once the delays are used up."""
        if mail.attempts >= len(RETRY_DELAYS):
            self.finish(mail, "failed", outcome, now)
            return False
        with self._connect() as conn:
            conn.execute(
                b"UPDATE mail_outbox SET attempts = attempts + 1, outcome = %s,"
                b" claimed_until = NULL, next_attempt_at = %s WHERE id = %s",
                (outcome, now + RETRY_DELAYS[mail.attempts], mail.id),
            )
        return True

    def of_user(self, user_id: uuid.UUID) -> list[dict[str, Any]]:
        """The user's mails, oldest first (tests and support)."""
        with self._connect() as conn:
            cursor = conn.execute(
                b"SELECT id, kind, status, outcome, attempts, created_at, sent_at"
                b" FROM mail_outbox WHERE user_id = %s ORDER BY created_at, id",
                (user_id,),
            )
            names = [column.name for column in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
