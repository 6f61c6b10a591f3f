"""Schemathesis against the write API's own OpenAPI document, with a valid admin token: no
input may produce a 5xx, and every response must match what the document promises."""

from __future__ import annotations

from uuid import uuid4

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from pydantic import SecretStr
from schemathesis.checks import positive_data_acceptance

from infra.http.auth import mint_token
from infra.settings import Settings
from write_api.app import create_app

SECRET = "fuzz-secret-long-enough-for-hs256-signatures-0123456789"


@pytest.fixture(scope="module")
def write_app(postgres_server):  # type: ignore[no-untyped-def]
    from event_store.schema import migrate
    from tests.server_fixtures import fresh_database

    with fresh_database(postgres_server) as url:
        migrate(url)
        app_settings = Settings(LEDGERLINE_DATABASE_URL=url, jwt_secret=SecretStr(SECRET))
        app = create_app(app_settings)
        with TestClient(app):  # runs the lifespan: pool and bus
            yield app, app_settings


@pytest.fixture(scope="module")
def write_schema(write_app):  # type: ignore[no-untyped-def]
    app, _ = write_app
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("write_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_write_api_never_fails_on_generated_input(case, write_app) -> None:  # type: ignore[no-untyped-def]
    _, app_settings = write_app
    token = mint_token(app_settings, uuid4(), ["admin"], 600)
    # positive_data_acceptance is left out on purpose: the domain's rules (a plausible email,
    # text limits, If-Match syntax) are stricter than JSON Schema can say, and such input gets
    # a documented 422 problem. Every other check runs: no 5xx, documented statuses, content
    # types and response bodies, auth that is not ignored.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        excluded_checks=[positive_data_acceptance],
    )
