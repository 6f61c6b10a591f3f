"""Audit routes: ``GET /v1/audit/streams/{id}`` (a stream's history with the state after each
event), ``GET /v1/audit/streams/{id}/state`` (the state as of a time or a version) and
``GET /v1/audit/streams/{id}/chain`` (the stream's hash chain recomputed, as ``ledgerline audit
verify --stream`` does).

Both replay the event store itself (read-only, from the stream's first event: there are no
snapshots yet; old event versions are upcast) through ``infra.audit_trail``, not the read
models, so they answer the same whether or not the projectors have caught up. The routes are
sync: FastAPI runs them in a worker thread, where the pool's blocking calls belong.

Who may audit what: auditors and admins any stream; everybody else only their own user stream,
accounts they own, payments where they own the payer or the payee account and transfers where
they own either account. Anything else answers 404 like an unknown id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from commands.context import Principal
from event_store.hash_chain import verify_stream_on
from event_store.store import EventStore
from infra.audit_trail import (
    AuditTrail,
    NoStateAtPoint,
    StreamNotFound,
    account_owner,
    replay_stream,
    rfc3339,
)
from infra.http.auth import CurrentPrincipal
from infra.http.routing import DocstringSummaryRoute
from read_api.access import scope_of
from read_api.errors import ResourceNotFound, read_problem_responses
from read_api.params import invalid_query

router = APIRouter(prefix="/v1/audit", tags=["audit"], route_class=DocstringSummaryRoute)

# Per stream type: the state fields naming the accounts whose owners may audit the stream.
_PARTY_ACCOUNTS: dict[str, tuple[str, ...]] = {
    "Payment": ("payer_account_id", "payee_account_id"),
    "Transfer": ("from_account_id", "to_account_id"),
}


def get_event_store(request: Request) -> EventStore:
    """The event store the lifespan opened."""
    store: EventStore = request.app.state.event_store
    return store


EventStoreDep = Annotated[EventStore, Depends(get_event_store)]
AtQuery = Annotated[
    AwareDatetime | None,
    Query(description="RFC 3339 time with offset: the state as of the events recorded by then."),
]
VersionQuery = Annotated[
    int | None, Query(ge=1, description="Stream version: the state after that event.")
]


class AuditEvent(BaseModel):
    """One stored event with its metadata and the state it left the aggregate in."""

    event_id: UUID
    position: int
    version: int
    type: str = Field(examples=["AccountCredited"])
    schema_version: int = Field(description="Schema version the data was stored with.")
    recorded_at: str = Field(description="RFC 3339 UTC.")
    user_id: str | None = Field(description="Who issued the command.")
    correlation_id: str | None
    causation_id: str | None
    command: str | None = Field(examples=["DepositFunds"])
    data: dict[str, Any] = Field(description="The event's data as stored.")
    state: dict[str, Any] = Field(description="The aggregate's state after this event.")


class AuditStream(BaseModel):
    """A stream's history, oldest first, and its final state."""

    stream_id: UUID
    stream_type: str = Field(examples=["Account"])
    version: int = Field(description="Version of the last event shown.")
    redacted: list[str] = Field(
        description="Fields shown as null because the user's personal data was forgotten."
    )
    state: dict[str, Any]
    events: list[AuditEvent]


class AuditState(BaseModel):
    """The state a stream had at a time or version."""

    stream_id: UUID
    stream_type: str
    version: int = Field(description="Version of the last event applied.")
    recorded_at: str = Field(description="When that event was recorded (RFC 3339 UTC).")
    redacted: list[str]
    state: dict[str, Any]


class ChainBreakOut(BaseModel):
    """A version at which the stream's chain does not hold."""

    version: int
    reasons: list[str] = Field(examples=[["hash mismatch (this event's content was altered)"]])


class ChainCheck(BaseModel):
    """The stream's hash chain recomputed from the stored events."""

    stream_id: UUID
    ok: bool = Field(description="True when every hashed event's hash matches and no gap shows.")
    events: int = Field(description="Events checked.")
    unhashed: int = Field(description="Events older than the hash chain (nothing to check).")
    breaks: list[ChainBreakOut]
    checked_at: str = Field(description="RFC 3339 UTC.")


class _NoAuditState(ResourceNotFound):
    """404 with its own detail: the stream exists but not at the requested point."""

    def __init__(self, detail: str) -> None:
        Exception.__init__(self, detail)


def _may_audit(principal: Principal, trail: AuditTrail, store: EventStore) -> bool:
    scope = scope_of(principal)
    if scope.everything:
        return True
    state = trail.state
    if trail.stream_type == "User":
        return scope.owns(trail.stream_id)
    if trail.stream_type == "Account":
        return scope.owns(state.get("owner_id"))
    return any(
        scope.owns(account_owner(store, UUID(str(state[name]))))
        for name in _PARTY_ACCOUNTS.get(trail.stream_type, ())
        if state.get(name) is not None
    )


def _audited_trail(
    stream_id: UUID,
    principal: Principal,
    store: EventStore,
    at: datetime | None,
    version: int | None,
) -> AuditTrail:
    try:
        trail = replay_stream(store, stream_id)
    except StreamNotFound:
        raise ResourceNotFound("stream", stream_id) from None
    # Access first: what exists at which point is itself information.
    if not _may_audit(principal, trail, store):
        raise ResourceNotFound("stream", stream_id)
    try:
        return trail.until(at=at, version=version)
    except NoStateAtPoint as error:
        raise _NoAuditState(str(error)) from None


@router.get("/streams/{stream_id}", responses=read_problem_responses(404))
def get_stream_history(
    stream_id: UUID,
    principal: CurrentPrincipal,
    store: EventStoreDep,
    at: AtQuery = None,
    version: VersionQuery = None,
) -> AuditStream:
    """A stream's events, oldest first, each with who, when, which command and the state after.

    Optionally cut at a time (`at`) or a version (`version`), not both."""
    if at is not None and version is not None:
        raise invalid_query("version", "give at most one of at and version")
    trail = _audited_trail(stream_id, principal, store, at, version)
    return AuditStream.model_validate(trail.as_json())


@router.get("/streams/{stream_id}/state", responses=read_problem_responses(404))
def get_stream_state(
    stream_id: UUID,
    principal: CurrentPrincipal,
    store: EventStoreDep,
    at: AtQuery = None,
    version: VersionQuery = None,
) -> AuditState:
    """A stream's state replayed from the event store as of a time (`at`) or a version."""
    if (at is None) == (version is None):
        raise invalid_query("at" if at is None else "version", "give exactly one of at and version")
    trail = _audited_trail(stream_id, principal, store, at, version)
    return AuditState(
        stream_id=trail.stream_id,
        stream_type=trail.stream_type,
        version=trail.version,
        recorded_at=rfc3339(trail.entries[-1].record.recorded_at),
        redacted=sorted(trail.redacted),
        state=trail.state,
    )


@router.get("/streams/{stream_id}/chain", responses=read_problem_responses(404))
def check_stream_chain(
    stream_id: UUID, principal: CurrentPrincipal, store: EventStoreDep
) -> ChainCheck:
    """Recompute the stream's hash chain: whether any stored event was altered or removed."""
    _audited_trail(stream_id, principal, store, None, None)
    with store.connection() as conn:
        report = verify_stream_on(conn, stream_id)
    return ChainCheck(
        stream_id=stream_id,
        ok=report.ok,
        events=report.events,
        unhashed=report.unhashed,
        breaks=[ChainBreakOut(version=b.version, reasons=list(b.reasons)) for b in report.breaks],
        checked_at=rfc3339(datetime.now(UTC)),
    )
