"""Read routes for webhooks: the caller's endpoints, one endpoint, its delivery log (newest
first, with every attempt), and the event types one can subscribe to with an example body each.

Endpoints and deliveries are read from the notification service's PostgreSQL tables (not a
read model): an endpoint must be visible as soon as it is registered, and the delivery log is
the notifier's own record.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from infra.http.auth import CurrentPrincipal
from infra.http.routing import DocstringSummaryRoute
from infra.http.webhooks import (
    AttemptOut,
    DeliveryList,
    DeliveryOut,
    EndpointList,
    EndpointOut,
    EventTypeList,
    EventTypeOut,
    WebhooksDep,
    endpoint_for,
    endpoint_out,
)
from projections.notifier import public_events
from read_api.errors import read_problem_responses
from read_api.params import DEFAULT_LIMIT, CursorQuery, LimitQuery, next_cursor, read_cursor

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], route_class=DocstringSummaryRoute)


@router.get("", responses=read_problem_responses())
async def list_endpoints(
    principal: CurrentPrincipal,
    webhooks: WebhooksDep,
    owner_id: Annotated[uuid.UUID | None, Query(description="Admins: one user's only.")] = None,
) -> EndpointList:
    """Your webhook endpoints, oldest first (admins: everyone's, or one user's)."""
    if not principal.is_admin:
        owner_id = principal.user_id
        if owner_id is None:
            return EndpointList(items=[])
    endpoints = await run_in_threadpool(webhooks.endpoints.listing, owner_id)
    return EndpointList(items=[endpoint_out(e) for e in endpoints])


@router.get("/event-types", responses=read_problem_responses())
async def list_event_types(principal: CurrentPrincipal) -> EventTypeList:
    """The event types an endpoint can subscribe to, each with an example body."""
    return EventTypeList(
        items=[EventTypeOut(type=t, example=b) for t, b in public_events.examples().items()]
    )


@router.get("/{endpoint_id}", responses=read_problem_responses(404))
async def get_endpoint(
    endpoint_id: uuid.UUID, principal: CurrentPrincipal, webhooks: WebhooksDep
) -> EndpointOut:
    """One endpoint (yours, or any for admins). The secret is never shown again."""
    return endpoint_out(await run_in_threadpool(endpoint_for, webhooks, endpoint_id, principal))


@router.get("/{endpoint_id}/deliveries", responses=read_problem_responses(404))
async def list_deliveries(
    endpoint_id: uuid.UUID,
    principal: CurrentPrincipal,
    webhooks: WebhooksDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> DeliveryList:
    """The endpoint's deliveries, newest first, each with its attempts (status code, latency,
    error) and its next retry."""
    key = read_cursor(cursor, "deliveries", (str, str))
    before = (datetime.fromisoformat(str(key[0])), str(key[1])) if key else None
    await run_in_threadpool(endpoint_for, webhooks, endpoint_id, principal)
    rows = await run_in_threadpool(
        webhooks.deliveries.listing, endpoint_id, limit=limit + 1, before=before
    )
    page, more = rows[:limit], len(rows) > limit
    attempts = await run_in_threadpool(webhooks.deliveries.attempts, [r.id for r in page])
    items = [
        DeliveryOut(
            id=row.id,
            event_type=row.event_type,
            event_id=row.event_id,
            status=row.status,
            created_at=row.created_at,
            next_attempt_at=row.next_attempt_at,
            delivered_at=row.delivered_at,
            attempts=[AttemptOut.model_validate(a, from_attributes=True) for a in attempts[row.id]],
        )
        for row in page
    ]
    last = (page[-1].created_at.isoformat(), page[-1].id) if page else None
    return DeliveryList(items=items, next_cursor=next_cursor("deliveries", more, last))
