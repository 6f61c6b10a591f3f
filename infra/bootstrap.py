"""Composition root: builds the event store and command bus from settings. Processes call these
from their lifespan or entry function, never at import time."""

from __future__ import annotations

from psycopg_pool import ConnectionPool

from commands.bus import CommandBus
from event_store.connection import open_pool
from event_store.store import EventStore
from infra.settings import Settings


def open_event_store_pool(settings: Settings) -> ConnectionPool:
    return open_pool(
        settings.database_url,
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        timeout=settings.db_pool_timeout_s,
    )


def build_command_bus(settings: Settings, pool: ConnectionPool) -> CommandBus:
    return CommandBus(EventStore(pool), retry_budget_s=settings.command_retry_budget_s)
