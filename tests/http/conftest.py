"""A tiny FastAPI app wired with the shared HTTP layer, to test it without the event store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated
from uuid import UUID

import pytest
import structlog
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from commands import errors as command_errors
from domain import errors as domain_errors
from infra.http.auth import CurrentPrincipal, OptionalPrincipal
from infra.http.metrics import HttpMetrics
from infra.http.middleware import correlation_id, install_http_edge
from infra.http.operations import build_operations_router
from infra.http.problems import install_problem_handlers
from infra.settings import Settings

TEST_SECRET = "tests-http-secret-that-is-long-enough-for-hs256"


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Annotated[int, Field(strict=True, gt=0)]
    name: str


ERRORS: dict[str, Exception] = {
    "insufficient-funds": domain_errors.InsufficientFunds(),
    "unknown-currency": domain_errors.UnknownCurrency(),
    "not-found": command_errors.NotFound("Account", UUID(int=1)),
    "forbidden": command_errors.Forbidden("not yours"),
    "version-mismatch": command_errors.VersionMismatch(3, 4),
    "idempotency-key-reused": command_errors.IdempotencyKeyReused(),
    "email-taken": command_errors.EmailTaken(),
    "concurrency-conflict": command_errors.Conflict("gave up"),
    "service-unavailable": command_errors.ServiceUnavailable("database down"),
    "boom": RuntimeError("secret internals: password=hunter2"),
}


def build_tiny_app(settings: Settings, *, ready: bool = True, async_check: bool = False) -> FastAPI:
    app = FastAPI()
    app.state.settings = settings
    app.state.metrics = HttpMetrics()
    install_problem_handlers(app)
    install_http_edge(app, settings, app.state.metrics)

    @app.post("/items")
    def create_item(item: Item) -> Item:
        return item

    @app.get("/items/{item_id}")
    def get_item(item_id: UUID) -> dict[str, str]:
        return {"id": str(item_id)}

    @app.get("/me")
    def me(principal: CurrentPrincipal) -> dict[str, object]:
        return {"user_id": str(principal.user_id), "roles": sorted(principal.roles)}

    @app.post("/signup")
    def signup(principal: OptionalPrincipal) -> dict[str, object]:
        return {"user_id": principal.user_id and str(principal.user_id)}

    @app.get("/raise/{name}")
    def raise_error(name: str) -> None:
        raise ERRORS[name]

    @app.get("/context")
    def context(request: Request) -> dict[str, object]:
        bound = structlog.contextvars.get_contextvars()
        return {"correlation_id": correlation_id(request), "bound": bound.get("correlation_id")}

    def check_ready(request: Request) -> None:
        if not ready:
            raise ConnectionError("database down")

    async def check_ready_async(request: Request) -> None:
        check_ready(request)

    app.include_router(build_operations_router(check_ready_async if async_check else check_ready))
    return app


@pytest.fixture
def settings() -> Settings:
    return Settings(jwt_secret=SecretStr(TEST_SECRET), env="test")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(build_tiny_app(settings)) as test_client:
        yield test_client
