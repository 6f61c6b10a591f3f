"""What both APIs share about webhook endpoints: the request and response models, the access
object the lifespans put on ``app.state.webhooks``, and who may see an endpoint.

Changes go through the write API, reads through the query API (API.md). Endpoints and
deliveries live in PostgreSQL tables of the notification service (projections/notifier), so
both APIs read and write them directly; an endpoint another user owns is answered 404, never
403, so ids do not leak.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any

import psycopg
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, field_validator

from commands.context import Principal
from commands.errors import Conflict, NotFound
from projections.notifier import public_events
from projections.notifier.deliveries import DeliveryStore
from projections.notifier.endpoints import Connect, Endpoint, EndpointStore
from projections.notifier.url_guard import MAX_URL_LENGTH, UnsafeUrl, resolve

_TYPES_HELP = "Public event types to receive, or `*` for all: " + ", ".join(
    public_events.EVENT_TYPES
)


@dataclass(frozen=True)
class WebhookAccess:
    endpoints: EndpointStore
    deliveries: DeliveryStore
    connect: Connect
    clock: Callable[[], datetime]
    allow_private: bool

    def on(self, conn: psycopg.Connection[Any]) -> WebhookAccess:
        """The same access with every store working on ``conn``, inside its transaction (their
        own transactions become savepoints there)."""

        def connect() -> AbstractContextManager[psycopg.Connection[Any]]:
            return nullcontext(conn)

        return replace(
            self,
            endpoints=self.endpoints.on(connect),
            deliveries=DeliveryStore(connect),
            connect=connect,
        )


async def get_webhooks(request: Request) -> WebhookAccess:
    access: WebhookAccess = request.app.state.webhooks
    return access


WebhooksDep = Annotated[WebhookAccess, Depends(get_webhooks)]


def _check_types(types: list[str] | None) -> list[str] | None:
    if types is None:
        return None
    unknown = sorted(set(types) - {*public_events.EVENT_TYPES, public_events.ALL})
    if unknown:
        raise ValueError(f"unknown event types: {', '.join(unknown)}")
    return sorted(set(types))


class EndpointCreate(BaseModel):
    url: str = Field(max_length=MAX_URL_LENGTH, examples=["https://shop.example/hooks"])
    event_types: list[str] = Field(min_length=1, max_length=50, description=_TYPES_HELP)
    description: str = Field(default="", max_length=500)
    owner_id: uuid.UUID | None = Field(
        default=None, description="Admins only: register the endpoint for this user."
    )

    _types = field_validator("event_types")(_check_types)


class EndpointUpdate(BaseModel):
    url: str | None = Field(default=None, max_length=MAX_URL_LENGTH)
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=50)
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = None

    _types = field_validator("event_types")(_check_types)


class EndpointOut(BaseModel):
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


class EndpointCreated(EndpointOut):
    secret: str = Field(description="The signing secret (`whsec_…`); shown only this once.")


class EndpointList(BaseModel):
    items: list[EndpointOut]


class SecretRotated(BaseModel):
    secret: str = Field(description="The new signing secret; shown only this once.")
    previous_secret_expires_at: datetime


class DeliveryQueued(BaseModel):
    delivery_id: str


class AttemptOut(BaseModel):
    attempt: int
    started_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None


class DeliveryOut(BaseModel):
    id: str = Field(description="The `webhook-id` every attempt of this delivery carries.")
    event_type: str
    event_id: str
    status: str = Field(description="pending, delivered or failed")
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    attempts: list[AttemptOut]


class DeliveryList(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


class EventTypeOut(BaseModel):
    type: str
    example: dict[str, object]


class EventTypeList(BaseModel):
    items: list[EventTypeOut]


def endpoint_out(endpoint: Endpoint) -> EndpointOut:
    return EndpointOut.model_validate(endpoint, from_attributes=True)


def endpoint_for(access: WebhookAccess, endpoint_id: uuid.UUID, principal: Principal) -> Endpoint:
    """The endpoint if the principal owns it or is an admin; otherwise 404 (NotFound)."""
    endpoint = access.endpoints.get(endpoint_id)
    if endpoint is None or not (principal.is_admin or principal.user_id == endpoint.owner_id):
        raise NotFound("webhook endpoint", endpoint_id)
    return endpoint


def check_url(access: WebhookAccess, url: str) -> None:
    """A 422 naming ``url`` when it may not receive webhooks (SSRF guard, after DNS)."""
    try:
        resolve(url, allow_private=access.allow_private)
    except UnsafeUrl as refused:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("body", "url"),
                    "msg": f"cannot receive webhooks: {refused}",
                    "input": None,
                }
            ]
        ) from refused


class EndpointDisabled(Conflict):
    code = "endpoint-disabled"
