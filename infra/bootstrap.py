"""Composition root: builds the event store, the command bus, the auth service and account
recovery by e-mail from settings. Processes call these from their lifespan or entry function,
never at import time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import structlog
from psycopg_pool import ConnectionPool

from commands.auth_handlers import AuthPolicy, AuthServices, auth_handlers
from commands.bus import CommandBus
from commands.recovery_handlers import recovery_handlers
from event_store.connection import open_pool
from event_store.store import EventStore
from infra import business_metrics
from infra.auth import Clock, utc_now
from infra.auth.email_tokens import EmailTokens
from infra.auth.keys import KeyStore, decode_secret
from infra.auth.passwords import HashingParameters, PasswordHasher
from infra.auth.recovery import RecoveryService
from infra.auth.service import AuthService, HashingCredentials
from infra.auth.throttle import LoginThrottle, ThrottlePolicy
from infra.auth.tokens import TokenIssuer, TokenSettings
from infra.http.webhooks import WebhookAccess
from infra.settings import Settings
from projections.notifier.deliveries import DeliveryStore
from projections.notifier.endpoints import endpoint_store
from projections.notifier.schema import ensure_tables

log = structlog.get_logger(__name__)


def open_event_store_pool(settings: Settings) -> ConnectionPool:
    return open_pool(
        settings.database_url,
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        timeout=settings.db_pool_timeout_s,
    )


def build_key_store(
    settings: Settings, store: EventStore, clock: Clock = utc_now, *, signing: bool = True
) -> KeyStore:
    """The signing keys; ``signing`` False for a process that only verifies tokens (which then
    neither needs the key secret nor creates the table)."""
    secret = decode_secret(settings.signing_key_secret.get_secret_value()) if signing else None
    keys = KeyStore(
        store,
        secret,
        token_ttl_s=settings.access_token_ttl_s,
        clock=clock,
        refresh_s=settings.signing_keys_refresh_s,
        # Link tokens are verified here too (by signing processes), for their whole lifetime.
        retention_s=max(settings.verify_email_token_ttl_s, settings.password_reset_token_ttl_s)
        if signing
        else 0,
    )
    if signing:
        keys.ensure_table()
    return keys


def build_email_tokens(settings: Settings, keys: KeyStore, clock: Clock = utc_now) -> EmailTokens:
    """Link tokens for e-mails (the write API verifies them; the notifier mints them)."""
    return EmailTokens(
        keys,
        settings.auth_issuer,
        clock,
        audience=settings.auth_audience,
        lifetimes_s={
            "verify-email": settings.verify_email_token_ttl_s,
            "password-reset": settings.password_reset_token_ttl_s,
        },
    )


def password_hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(
        HashingParameters(
            time_cost=settings.password_hash_time_cost,
            memory_kib=settings.password_hash_memory_kib,
            parallelism=settings.password_hash_parallelism,
        )
    )


@dataclass(frozen=True)
class WriteSide:
    """The write API's command bus, auth service and account recovery, over one event store."""

    store: EventStore
    bus: CommandBus
    auth: AuthService
    keys: KeyStore
    recovery: RecoveryService


def build_write_side(
    settings: Settings,
    pool: ConnectionPool,
    clock: Clock = utc_now,
    *,
    after_append: Callable[[], None] | None = None,
) -> WriteSide:
    """``after_append``: called after every append the bus committed (must not block)."""
    store = EventStore(pool)
    hasher = password_hasher(settings)
    services = AuthServices(
        credentials=HashingCredentials(hasher),
        policy=AuthPolicy(
            staff_roles_need_mfa=settings.staff_roles_need_mfa,
            refresh_token_ttl_s=settings.refresh_token_ttl_s,
        ),
        clock=clock,
    )
    bus = CommandBus(
        store,
        retry_budget_s=settings.command_retry_budget_s,
        handlers={**auth_handlers(services), **recovery_handlers(clock)},
        after_append=after_append,
        on_committed=business_metrics.observe_committed,
    )
    keys = build_key_store(settings, store, clock)
    throttle = LoginThrottle(
        store,
        account=ThrottlePolicy(
            settings.login_free_failures_per_account,
            settings.login_lock_base_s,
            settings.login_lock_max_s,
        ),
        address=ThrottlePolicy(
            settings.login_free_failures_per_address,
            settings.login_lock_base_s,
            settings.login_lock_max_s,
        ),
        clock=clock,
        password_reset=ThrottlePolicy(
            # Every request counts; the last one allowed starts the lock.
            settings.password_reset_requests_per_address - 1,
            settings.password_reset_lock_base_s,
            settings.password_reset_lock_max_s,
        ),
    )
    throttle.ensure_table()
    issuer = TokenIssuer(
        keys,
        TokenSettings(settings.auth_issuer, settings.auth_audience, settings.access_token_ttl_s),
        clock,
    )
    auth = AuthService(bus, store, hasher, issuer, throttle)
    tokens = build_email_tokens(settings, keys, clock)
    recovery = RecoveryService(bus, store, hasher, throttle, tokens, clock)
    return WriteSide(store, bus, auth, keys, recovery)


def build_webhook_access(
    settings: Settings, store: EventStore, clock: Clock = utc_now, *, create_tables: bool = True
) -> WebhookAccess:
    """The webhook tables as both APIs use them. The write API (and the notifier) create them;
    the query API starts without waiting for PostgreSQL (see
    ``create_webhook_tables_if_reachable``)."""
    if create_tables:
        ensure_tables(store.connection)
    return WebhookAccess(
        endpoints=endpoint_store(settings, store),
        deliveries=DeliveryStore(store.connection),
        connect=store.connection,
        clock=clock,
        allow_private=settings.webhooks_private_addresses_allowed,
    )


def create_webhook_tables_if_reachable(settings: Settings) -> None:
    """The query API's start: create the webhook tables if PostgreSQL answers within two
    seconds (so its webhook reads work even before a write API ever ran); otherwise carry on,
    the write API and the notifier create them when they start."""

    @contextmanager
    def connect() -> Iterator[psycopg.Connection[Any]]:
        with psycopg.connect(settings.database_url, autocommit=True, connect_timeout=2) as conn:
            yield conn

    try:
        ensure_tables(connect)
    except psycopg.OperationalError as error:
        log.warning("webhook tables not checked: PostgreSQL did not answer", error=str(error))
