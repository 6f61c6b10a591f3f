"""Command bus against a real, migrated PostgreSQL."""

from __future__ import annotations

from uuid import uuid4

import pytest

from commands.bus import CommandBus
from commands.context import CommandContext, Principal
from event_store.store import EventStore


@pytest.fixture
def bus(event_store: EventStore) -> CommandBus:
    return CommandBus(event_store, retry_budget_s=10.0)


def context(principal: Principal, **kwargs: object) -> CommandContext:
    return CommandContext(
        principal=principal,
        correlation_id=str(kwargs.pop("correlation_id", uuid4())),
        causation_id=str(uuid4()),
        **kwargs,  # type: ignore[arg-type]
    )
