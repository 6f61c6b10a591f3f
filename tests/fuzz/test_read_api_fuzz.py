"""Schemathesis against the query API's own OpenAPI document, with a valid auditor token: no
input may produce a 5xx, and every response must match what the document promises."""

from __future__ import annotations

import uuid
from uuid import uuid4

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from pydantic import SecretStr
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from infra.http.auth import mint_token
from infra.settings import Settings
from read_api.app import create_app

SECRET = "fuzz-read-secret-long-enough-for-hs256-signatures-0123"


@pytest.fixture(scope="module")
def read_app(postgres_server, kafka_server, mongo_server, elasticsearch_server):  # type: ignore[no-untyped-def]
    from event_store.schema import migrate
    from tests.server_fixtures import fresh_database

    name = f"fuzz{uuid.uuid4().hex[:8]}"
    with fresh_database(postgres_server) as url:
        migrate(url)
        app_settings = Settings(
            LEDGERLINE_DATABASE_URL=url,
            LEDGERLINE_KAFKA_BOOTSTRAP_SERVERS=kafka_server.bootstrap_servers,
            LEDGERLINE_MONGO_URL=mongo_server.url,
            LEDGERLINE_ELASTICSEARCH_URL=elasticsearch_server.url,
            mongo_database=name,
            search_index_prefix=name,
            jwt_secret=SecretStr(SECRET),
        )
        app = create_app(app_settings)
        with TestClient(app):
            yield app, app_settings


@pytest.fixture(scope="module")
def read_schema(read_app):  # type: ignore[no-untyped-def]
    app, _ = read_app
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("read_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_read_api_never_fails_on_generated_input(case, read_app) -> None:  # type: ignore[no-untyped-def]
    _, app_settings = read_app
    token = mint_token(app_settings, uuid4(), ["auditor", "operator"], 600)
    # Against empty read models every min_version would wait and end in the documented 504
    # (the read model has not caught up); that path has its own tests, so it is left out here.
    case.query = {k: v for k, v in (case.query or {}).items() if k != "min_version"}
    # See the write API's fuzz test for why positive_data_acceptance is left out.
    # negative_data_rejection is left out because unknown query parameters are ignored, as in
    # most HTTP APIs, so that a newer client can talk to an older server.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
    )
