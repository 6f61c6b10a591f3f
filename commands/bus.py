"""The command bus: runs a handler against fresh state and appends its events atomically.

Idempotency: a request with an ``Idempotency-Key`` first looks for a committed record; the record
is written in the same statement as the events, so "appended" and "remembered" cannot disagree.
Two concurrent repeats both decide, but only one append can insert the record; the other fails on
the record's primary key before appending anything and answers from the winner's record.

Concurrency: a conflicting append (another writer took the version) is retried against fresh
state until a time budget runs out, unless the caller pinned a version with ``If-Match``, in
which case the conflict is the caller's to resolve (412).

Tracing: each command is a span ``command <Type>`` (its outcome as an attribute), and the W3C
``traceparent`` of that span goes into the metadata of every event it appends, next to the
correlation id, so the relay, the projectors and the notifier continue the command's trace
(``infra.tracing``). With tracing off the span is the API's no-op one and no traceparent is
stored.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import structlog
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from commands.aggregate_cache import AggregateCache
from commands.context import CommandContext
from commands.errors import (
    Conflict,
    EmailTaken,
    IdempotencyKeyReused,
    ServiceUnavailable,
    VersionMismatch,
)
from commands.event_mapping import event_metadata, to_new_event
from commands.handlers import HANDLERS, Handler
from commands.result import CommandResult
from commands.session import Session
from domain.registry import event_type_name
from event_store.errors import (
    ConcurrencyConflict,
    IdempotencyKeyTaken,
    StoreUnavailable,
    UniqueClaimTaken,
)
from event_store.records import IdempotencyRecord
from event_store.store import EventStore

log = structlog.get_logger(__name__)
_tracer = trace.get_tracer("ledgerline.commands")
# W3C trace context only: a client's tracestate or baggage never reaches the event store.
_TRACE_CONTEXT = TraceContextTextMapPropagator()


def current_traceparent() -> str | None:
    """The ``traceparent`` of the current span (None without one: tracing off)."""
    carrier: dict[str, str] = {}
    _TRACE_CONTEXT.inject(carrier)
    return carrier.get("traceparent")


class CommandBus:
    """Executes commands; the only writer of the event store in the write API."""

    def __init__(
        self,
        store: EventStore,
        *,
        retry_budget_s: float = 5.0,
        cache: AggregateCache | None = None,
        handlers: Mapping[type[Any], Handler] | None = None,
        after_append: Callable[[], None] | None = None,
        on_committed: Callable[[Any, Sequence[object]], None] | None = None,
    ) -> None:
        """``after_append`` runs after each committed append (the write API announces new
        events with it, so the relay reads at once); it must not block or raise.
        ``on_committed`` is given each command whose events were committed, with those domain
        events, once (never for a repeat answered from its idempotency record, nor for an
        attempt lost to a conflict): the business metrics count facts there."""
        self._store = store
        self._retry_budget_s = retry_budget_s
        self._cache = cache if cache is not None else AggregateCache()
        # The plain commands, plus those whose handlers need services (auth) bound in.
        self._handlers = {**HANDLERS, **(handlers or {})}
        self._after_append = after_append
        self._on_committed = on_committed

    def execute(self, command: Any, ctx: CommandContext) -> CommandResult:
        name = type(command).__name__
        with _tracer.start_as_current_span(
            f"command {name}",
            attributes={"ledgerline.command": name},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                result = self._execute(command, ctx)
            except StoreUnavailable as error:
                log.warning("event_store_unavailable", error=str(error))
                span.set_status(Status(StatusCode.ERROR, "event store unavailable"))
                span.set_attribute("ledgerline.command.outcome", "unavailable")
                raise ServiceUnavailable("the event store is unavailable; retry later") from error
            except Exception as error:
                # A refusal (domain rule, conflict) is an answer, not a failure of the system.
                code = getattr(error, "code", None)
                if not isinstance(code, str):
                    span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                span.set_attribute("ledgerline.command.outcome", code or "error")
                raise
            span.set_attribute(
                "ledgerline.command.outcome", "replayed" if result.replayed else "ok"
            )
            return result

    def _execute(self, command: Any, ctx: CommandContext) -> CommandResult:
        handler = self._handlers[type(command)]
        if ctx.idempotency_key is not None:
            earlier = self._store.find_idempotency(ctx.idempotency_scope, ctx.idempotency_key)
            if earlier is not None:
                return self._replay(earlier, ctx)
        deadline = time.monotonic() + self._retry_budget_s
        traceparent = current_traceparent()
        attempt = 0
        while True:
            session = Session(self._store, expected_version=ctx.expected_version, cache=self._cache)
            outcome = handler(command, session, ctx.principal)
            events = session.collect_events()
            result = CommandResult(
                id=outcome.target.id,
                version=outcome.target.version,
                events=[event_type_name(e) for e in events],
                # Each aggregate's events are in order: the last one per stream is its version.
                streams={e.originator_id: e.originator_version for e in events},
                created=outcome.created,
                detail=outcome.detail,
            )
            metadata = event_metadata(
                {
                    "correlation_id": ctx.correlation_id,
                    "causation_id": ctx.causation_id,
                    "user_id": None
                    if ctx.principal.user_id is None
                    else str(ctx.principal.user_id),
                    "idempotency_key": ctx.idempotency_key,
                    "command": type(command).__name__,
                    "traceparent": traceparent,
                }
            )
            try:
                self._store.append(
                    [to_new_event(e, metadata) for e in events],
                    idempotency=self._idempotency_record(ctx, result),
                    claims=session.claims,
                    releases=session.releases,
                    new_subjects=session.new_subjects,
                    forget_subjects=session.forgotten_subjects,
                )
            except ConcurrencyConflict as conflict:
                if ctx.expected_version is not None:
                    raise VersionMismatch(ctx.expected_version, None) from conflict
                attempt += 1
                if time.monotonic() >= deadline:
                    raise Conflict("too many concurrent changes; retry later") from conflict
                # Jittered exponential backoff keeps racing writers from colliding in lockstep.
                time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
                continue
            except IdempotencyKeyTaken:
                assert ctx.idempotency_key is not None
                winner = self._store.find_idempotency(ctx.idempotency_scope, ctx.idempotency_key)
                assert winner is not None, "a committed idempotency record cannot vanish"
                return self._replay(winner, ctx)
            except UniqueClaimTaken as taken:
                raise EmailTaken() from taken
            if events and self._after_append is not None:
                self._after_append()
            if events and self._on_committed is not None:
                self._on_committed(command, events)
            for aggregate in session.aggregates():
                self._cache.put(aggregate)
            if attempt:
                trace.get_current_span().set_attribute("ledgerline.command.retries", attempt)
            log.info(
                "command_executed",
                command=type(command).__name__,
                aggregate_id=str(result.id),
                version=result.version,
                retries=attempt,
            )
            return result

    @staticmethod
    def _idempotency_record(ctx: CommandContext, result: CommandResult) -> IdempotencyRecord | None:
        if ctx.idempotency_key is None:
            return None
        return IdempotencyRecord(
            scope=ctx.idempotency_scope,
            key=ctx.idempotency_key,
            fingerprint=ctx.request_fingerprint or "",
            response=result.to_record(),
        )

    @staticmethod
    def _replay(record: IdempotencyRecord, ctx: CommandContext) -> CommandResult:
        if record.fingerprint != (ctx.request_fingerprint or ""):
            raise IdempotencyKeyReused()
        return CommandResult.from_record(record.response, replayed=True)
