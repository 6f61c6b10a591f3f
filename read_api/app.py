"""The query API application factory: middleware, problem mapping, routers and the lifespan
that owns the MongoDB and Elasticsearch clients, the rate limiter and the subscription to the
projectors' version signals that ``min_version`` waits on.

Nothing is created at import: ``create_app(settings)`` builds the app, and its lifespan opens the
clients when the server starts and closes them when it stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from elasticsearch import AsyncElasticsearch
from fastapi import Depends, FastAPI, Request
from pymongo import AsyncMongoClient

from event_store.connection import open_pool
from event_store.store import EventStore
from infra.bootstrap import (
    build_key_store,
    build_webhook_access,
    create_webhook_tables_if_reachable,
)
from infra.http.metrics import HttpMetrics
from infra.http.middleware import install_http_edge
from infra.http.operations import build_operations_router
from infra.http.problems import install_problem_handlers, problem_responses
from infra.http.rate_limit import open_rate_limiter, rate_limit_authenticated
from infra.http.security import docs_settings
from infra.settings import Settings
from infra.tracing.http import api_telemetry
from read_api import accounts, notifications, payments, search, users, webhooks
from read_api.audit import router as audit_router
from read_api.deps import ReadModels, get_read_models
from read_api.errors import install_read_problem_handlers
from read_api.freshness_signals import listening_for_versions
from read_api.mongo_reads import Document, MongoReads
from read_api.projections import router as projections_router
from read_api.search_reads import SearchReads

# Fail fast: a read that cannot reach its server should become a 503 quickly, not hang.
_MONGO_TIMEOUT_MS = 2000
_SEARCH_TIMEOUT_S = 5.0


@asynccontextmanager
async def open_read_models(settings: Settings) -> AsyncIterator[ReadModels]:
    """Async MongoDB and Elasticsearch clients (waits hold no thread), closed on exit."""
    mongo: AsyncMongoClient[Document] = AsyncMongoClient(
        settings.mongo_url,
        serverSelectionTimeoutMS=_MONGO_TIMEOUT_MS,
        connectTimeoutMS=_MONGO_TIMEOUT_MS,
        appname="ledgerline-read-api",
    )
    # The default aiohttp transport: about a millisecond per search faster than httpx's.
    elasticsearch = AsyncElasticsearch(
        settings.elasticsearch_url, request_timeout=_SEARCH_TIMEOUT_S
    )
    try:
        yield ReadModels(
            mongo=MongoReads(mongo[settings.mongo_database]),
            search=SearchReads(elasticsearch, settings.search_index_prefix),
        )
    finally:
        await elasticsearch.close()
        await mongo.close()


async def _ping(read_models: ReadModels) -> None:
    await read_models.mongo.ping()
    await read_models.search.ping()


def _check_ready(request: Request) -> None:
    # The shared readiness route is sync (it runs in a worker thread); the clients live on the
    # event loop, so the pings are run there.
    anyio.from_thread.run(_ping, get_read_models(request))


def create_app(settings: Settings) -> FastAPI:
    """Build the query API."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_read_models(settings) as read_models:
            app.state.read_models = read_models
            # Audit reads replay the event store. min_size=0: connections are made on first
            # use, so the query API starts without PostgreSQL (an audit read then answers 503).
            audit_pool = open_pool(
                settings.database_url,
                min_size=0,
                max_size=4,
                timeout=settings.db_pool_timeout_s,
                name="read_api_audit",
            )
            app.state.event_store = EventStore(audit_pool)
            app.state.key_store = build_key_store(settings, app.state.event_store, signing=False)
            app.state.webhooks = build_webhook_access(
                settings, app.state.event_store, create_tables=False
            )
            create_webhook_tables_if_reachable(settings)
            try:
                async with (
                    open_rate_limiter(settings) as limiter,
                    listening_for_versions(settings, app.state.metrics.registry) as versions,
                ):
                    app.state.rate_limiter = limiter
                    app.state.versions = versions
                    yield
            finally:
                audit_pool.close()

    app = FastAPI(
        title="Ledgerline query API",
        version="0.1.0",
        summary="Reads of the Ledgerline payments backend: read models and search.",
        description=(
            "Errors are RFC 9457 `application/problem+json` documents. Read models are updated "
            "asynchronously; pass `min_version` to read your own write."
        ),
        lifespan=lifespan,
        telemetry=api_telemetry(settings.tracing_sample_ratio),
        **docs_settings(settings),
    )
    app.state.settings = settings
    app.state.metrics = HttpMetrics()
    install_problem_handlers(app)
    install_read_problem_handlers(app)
    install_http_edge(app, settings, app.state.metrics)
    for router in (
        users.router,
        accounts.router,
        payments.router,
        notifications.router,
        webhooks.router,
        search.router,
        projections_router,
        audit_router,
    ):
        app.include_router(
            router,
            dependencies=[Depends(rate_limit_authenticated)],
            responses=problem_responses(429),
        )
    app.include_router(build_operations_router(_check_ready))
    return app
