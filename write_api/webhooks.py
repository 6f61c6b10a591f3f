"""Webhook endpoints: register, change, delete, rotate the secret, send a test ping, retry a
delivery. Reads (list, get, delivery log) are on the query API. Every POST honours
`Idempotency-Key` as commands do (``write_api.idempotent_calls``).

Plain ``def`` routes: they talk to PostgreSQL and, for a URL, to DNS, both blocking; FastAPI
runs them in its thread pool.
"""

from __future__ import annotations

import json
import uuid

from fastapi import APIRouter, Response, status

from commands.authorization import require_authenticated
from commands.context import Principal
from commands.errors import Forbidden, NotFound
from infra.http.auth import CurrentPrincipal
from infra.http.problems import problem_responses
from infra.http.routing import DocstringSummaryRoute
from infra.http.webhooks import (
    DeliveryQueued,
    EndpointCreate,
    EndpointCreated,
    EndpointDisabled,
    EndpointOut,
    EndpointUpdate,
    SecretRotated,
    WebhookAccess,
    WebhooksDep,
    check_url,
    endpoint_for,
    endpoint_out,
)
from projections.notifier import public_events
from projections.notifier.deliveries import NewDelivery, add_deliveries, delivery_id
from projections.notifier.endpoints import ROTATION_OVERLAP
from write_api.idempotent_calls import IdempotentCall, run_once

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], route_class=DocstringSummaryRoute)


# Every route: no token (401), a path id that is not a UUID (422), the database away (503); with
# a body, also malformed JSON (400) and a body over the limit (413).
_ALWAYS = (401, 422, 503)
_WITH_BODY = (*_ALWAYS, 400, 413)


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(*_WITH_BODY, 403))
def create_endpoint(
    body: EndpointCreate,
    principal: CurrentPrincipal,
    webhooks: WebhooksDep,
    call: IdempotentCall,
    response: Response,
) -> EndpointCreated:
    """Register an endpoint; the answer carries its signing secret, shown only this once (and
    to a repeat with the same `Idempotency-Key`)."""
    owner = require_authenticated(principal)
    if body.owner_id is not None and body.owner_id != owner:
        if not principal.is_admin:
            raise Forbidden("only an admin may register an endpoint for another user")
        owner = body.owner_id

    def create(access: WebhookAccess) -> EndpointCreated:
        check_url(access, body.url)
        endpoint, secret = access.endpoints.create(
            owner, body.url, body.event_types, body.description, access.clock()
        )
        return EndpointCreated(**endpoint_out(endpoint).model_dump(), secret=secret)

    return run_once(webhooks, call, response, EndpointCreated, create)


@router.patch("/{endpoint_id}", responses=problem_responses(*_WITH_BODY, 404))
def update_endpoint(
    endpoint_id: uuid.UUID, body: EndpointUpdate, principal: CurrentPrincipal, webhooks: WebhooksDep
) -> EndpointOut:
    """Change the URL, event types or description, or enable/disable the endpoint."""
    endpoint = endpoint_for(webhooks, endpoint_id, principal)
    changes = body.model_dump(exclude_none=True)
    if "url" in changes:
        check_url(webhooks, changes["url"])
    if not changes:
        return endpoint_out(endpoint)
    try:
        return endpoint_out(webhooks.endpoints.update(endpoint_id, changes, webhooks.clock()))
    except LookupError as deleted:
        raise NotFound("webhook endpoint", endpoint_id) from deleted


@router.delete(
    "/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(*_ALWAYS, 404),
)
def delete_endpoint(
    endpoint_id: uuid.UUID, principal: CurrentPrincipal, webhooks: WebhooksDep
) -> Response:
    """Delete the endpoint with its delivery log; nothing more is sent to it."""
    endpoint_for(webhooks, endpoint_id, principal)
    webhooks.endpoints.delete(endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{endpoint_id}/rotate-secret", responses=problem_responses(*_ALWAYS, 404))
def rotate_secret(
    endpoint_id: uuid.UUID,
    principal: CurrentPrincipal,
    webhooks: WebhooksDep,
    call: IdempotentCall,
    response: Response,
) -> SecretRotated:
    """A new signing secret; the previous one keeps signing beside it for 24 hours."""

    def rotate(access: WebhookAccess) -> SecretRotated:
        endpoint_for(access, endpoint_id, principal)
        now = access.clock()
        secret = access.endpoints.rotate_secret(endpoint_id, now)
        return SecretRotated(secret=secret, previous_secret_expires_at=now + ROTATION_OVERLAP)

    return run_once(webhooks, call, response, SecretRotated, rotate)


@router.post(
    "/{endpoint_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(*_ALWAYS, 404, 409),
)
def send_test(
    endpoint_id: uuid.UUID,
    principal: CurrentPrincipal,
    webhooks: WebhooksDep,
    call: IdempotentCall,
    response: Response,
) -> DeliveryQueued:
    """Send a `webhook.ping` event to the endpoint now (watch it in the delivery log)."""
    return run_once(
        webhooks,
        call,
        response,
        DeliveryQueued,
        lambda access: _ping(access, endpoint_id, principal),
    )


def _ping(webhooks: WebhookAccess, endpoint_id: uuid.UUID, principal: Principal) -> DeliveryQueued:
    endpoint = endpoint_for(webhooks, endpoint_id, principal)
    if not endpoint.enabled:
        raise EndpointDisabled("The endpoint is disabled; enable it to send a test.")
    now = webhooks.clock()
    ping_id = str(uuid.uuid4())
    body = public_events.ping_body(str(endpoint.id), ping_id, now.isoformat())
    delivery = NewDelivery(
        id=delivery_id(endpoint.id, ping_id),
        endpoint_id=endpoint.id,
        url=endpoint.url,
        event_type=public_events.PING,
        event_id=body["id"],
        position=None,
        body=json.dumps(body, separators=(",", ":")),
    )
    with webhooks.connect() as conn:
        add_deliveries(conn, [delivery], now)
    return DeliveryQueued(delivery_id=delivery.id)


@router.post(
    "/{endpoint_id}/deliveries/{delivery}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(*_ALWAYS, 404),
)
def retry_delivery(
    endpoint_id: uuid.UUID,
    delivery: str,
    principal: CurrentPrincipal,
    webhooks: WebhooksDep,
    call: IdempotentCall,
    response: Response,
) -> DeliveryQueued:
    """Send a delivery again now, with the same `webhook-id` and body."""

    def retry(access: WebhookAccess) -> DeliveryQueued:
        endpoint_for(access, endpoint_id, principal)
        if not access.deliveries.retry_now(endpoint_id, delivery, access.clock()):
            raise NotFound("webhook delivery", delivery)
        return DeliveryQueued(delivery_id=delivery)

    return run_once(webhooks, call, response, DeliveryQueued, retry)
