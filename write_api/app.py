"""The write API application factory: middleware, problem mapping, routers and the lifespan
that owns the PostgreSQL pool, the event store, the command bus, the rate limiter and the
"new events" signal the relay waits on.

Nothing is created at import: ``create_app(settings)`` builds the app, and its lifespan opens the
resources when the server starts and closes them when it stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass

from fastapi import FastAPI, Request

from infra.auth import Clock, utc_now
from infra.auth.keys import KeyStore
from infra.auth.recovery import RecoveryService
from infra.auth.service import AuthService
from infra.bootstrap import build_webhook_access, build_write_side, open_event_store_pool
from infra.http.metrics import HttpMetrics
from infra.http.middleware import install_http_edge
from infra.http.operations import build_operations_router
from infra.http.problems import install_problem_handlers, problem_responses
from infra.http.rate_limit import open_rate_limiter
from infra.http.security import docs_settings
from infra.http.webhooks import WebhookAccess
from infra.redis.connection import RedisNames, sync_client
from infra.redis.signals import SignalPublisher
from infra.settings import Settings
from infra.tracing.http import api_telemetry
from write_api import (
    accounts,
    auth,
    payments,
    recovery,
    transfers,
    user_security,
    users,
    webhooks,
    well_known,
)
from write_api.deps import CommandExecutor

_READY_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class WriteResources:
    """What the routes use while the app runs."""

    bus: CommandExecutor
    check_ready: Callable[[], None]
    auth: AuthService | None = None
    key_store: KeyStore | None = None
    webhooks: WebhookAccess | None = None
    recovery: RecoveryService | None = None


ResourceFactory = Callable[[Settings], AbstractContextManager[WriteResources]]


@contextmanager
def open_resources(settings: Settings, clock: Clock = utc_now) -> Iterator[WriteResources]:
    """The production resources: a pool on the event store database, the command bus and the
    auth service (``clock``: what they take the time from; tests move it). Every append the bus
    commits is announced on Redis (fire and forget), so the relay reads at once."""
    pool = open_event_store_pool(settings)

    def check_ready() -> None:
        with pool.connection(timeout=_READY_TIMEOUT_S) as conn:
            conn.execute("select 1")

    signals = SignalPublisher(lambda: sync_client(settings.redis_url))
    new_events = RedisNames.of(settings).new_events
    try:
        side = build_write_side(
            settings, pool, clock, after_append=lambda: signals.publish(new_events)
        )
        yield WriteResources(
            bus=side.bus,
            check_ready=check_ready,
            auth=side.auth,
            key_store=side.keys,
            webhooks=build_webhook_access(settings, side.store, clock),
            recovery=side.recovery,
        )
    finally:
        signals.close()
        pool.close()


def _check_ready(request: Request) -> None:
    resources: WriteResources = request.app.state.resources
    resources.check_ready()


def create_app(settings: Settings, *, resources: ResourceFactory = open_resources) -> FastAPI:
    """Build the write API; ``resources`` opens what the lifespan holds (swap it in tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with resources(settings) as opened:
            app.state.resources = opened
            app.state.bus = opened.bus
            app.state.auth = opened.auth
            app.state.key_store = opened.key_store
            app.state.webhooks = opened.webhooks
            app.state.recovery = opened.recovery
            async with open_rate_limiter(settings) as limiter:
                app.state.rate_limiter = limiter
                yield

    app = FastAPI(
        title="Ledgerline write API",
        version="0.1.0",
        summary="Commands of the Ledgerline payments backend.",
        description="Errors are RFC 9457 `application/problem+json` documents.",
        lifespan=lifespan,
        telemetry=api_telemetry(settings.tracing_sample_ratio),
        **docs_settings(settings),
    )
    app.state.settings = settings
    app.state.metrics = HttpMetrics()
    install_problem_handlers(app)
    install_http_edge(app, settings, app.state.metrics)
    for router in (
        users.router,
        user_security.router,
        auth.router,
        recovery.router,
        accounts.router,
        transfers.router,
        payments.router,
        webhooks.router,
    ):
        app.include_router(router, responses=problem_responses(429))
    app.include_router(well_known.router)
    app.include_router(build_operations_router(_check_ready))
    return app
