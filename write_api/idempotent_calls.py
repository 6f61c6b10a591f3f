"""Idempotency-Key on the write API's routes that are not commands: the webhook routes.

The contract is the commands' (API.md): a repeat with the same key and the same request gets the
first answer again, with ``Idempotent-Replayed: true``, and changes nothing; the same key with
another request is 422 ``idempotency-key-reused``. Keys share the commands' table
(``idempotency_keys``) and scope (per caller).

Exactly once, not at least once: the change and the record of its answer commit in one
transaction (the webhook stores work on that transaction's connection, ``WebhookAccess.on``), so
a crash between the two cannot leave a change without its record, and a transaction-scoped
advisory lock on the key makes a concurrent repeat wait for the first and then find its record.

Answers are kept sealed (AES-GCM under the webhook-secret key, bound to the key's scope and
value): a new endpoint's answer and a rotation's carry a signing secret, never kept in clear.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request, Response
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from commands.context import idempotency_scope
from commands.errors import IdempotencyKeyReused
from infra.http.auth import CurrentPrincipal
from infra.http.headers import IdempotencyKeyHeader, request_fingerprint
from infra.http.webhooks import WebhookAccess

# Binds a sealed answer to its (scope, key): an answer copied to another row does not open.
_ANSWERS = uuid.UUID("5b0f3c52-8d0e-4a53-9a55-7d8f3d0c2a61")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class CallKey:
    scope: str
    key: str | None
    fingerprint: str

    @property
    def bound_to(self) -> uuid.UUID:
        return uuid.uuid5(_ANSWERS, f"{self.scope}\n{self.key}")


async def call_key(
    request: Request, principal: CurrentPrincipal, idempotency_key: IdempotencyKeyHeader = None
) -> CallKey:
    body = await request.body()
    client = request.client.host if request.client else None
    return CallKey(
        idempotency_scope(principal, client),
        idempotency_key,
        request_fingerprint(request.method, request.url.path, body),
    )


IdempotentCall = Annotated[CallKey, Depends(call_key)]


def run_once(
    webhooks: WebhookAccess,
    call: CallKey,
    response: Response,
    model: type[M],
    act: Callable[[WebhookAccess], M],
) -> M:
    """``act`` once per key (see the module docstring); a repeat gets the first answer."""
    with webhooks.connect() as conn, conn.transaction():
        if call.key is None:
            return act(webhooks.on(conn))
        bound_to = call.bound_to
        conn.execute(b"SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (str(bound_to),))
        row = conn.execute(
            b"SELECT fingerprint, response FROM idempotency_keys WHERE scope = %s AND key = %s",
            (call.scope, call.key),
        ).fetchone()
        if row is not None:
            if row[0] != call.fingerprint:
                raise IdempotencyKeyReused()
            response.headers["Idempotent-Replayed"] = "true"
            sealed = base64.b64decode(row[1]["sealed"])
            return model.model_validate_json(webhooks.endpoints.open_answer(bound_to, sealed))
        answer = act(webhooks.on(conn))
        sealed = webhooks.endpoints.seal_answer(bound_to, answer.model_dump_json())
        conn.execute(
            b"INSERT INTO idempotency_keys (scope, key, fingerprint, response)"
            b" VALUES (%s, %s, %s, %s)",
            (
                call.scope,
                call.key,
                call.fingerprint,
                Jsonb({"sealed": base64.b64encode(sealed).decode()}),
            ),
        )
        return answer
