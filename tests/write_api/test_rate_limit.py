"""Rate limits: a token bucket per subject (per client address for sign-up), shared through
PostgreSQL by every API process, answered with 429 and Retry-After."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from infra.settings import Settings
from tests.credentials import PASSWORD
from tests.write_api.conftest import Api, assert_problem
from write_api.app import create_app


@pytest.fixture
def limited(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "rate_limit_per_s": 0.2,
            "rate_limit_burst": 3,
            "anonymous_rate_limit_per_s": 0.2,
            "anonymous_rate_limit_burst": 2,
        }
    )


@pytest.fixture
def two_processes(limited: Settings, database_url: str) -> Iterator[tuple[Api, Api]]:
    with (
        TestClient(create_app(limited)) as first,
        TestClient(create_app(limited)) as second,
    ):
        yield Api(first, limited, database_url), Api(second, limited, database_url)


def _deposit(api: Api, actor: object, account: object) -> object:
    return api.post(
        f"/v1/accounts/{account}/deposits",
        actor,
        {"amount": 1, "reference": "r"},  # type: ignore[arg-type]
    )


def test_a_subject_beyond_its_burst_gets_429_with_retry_after_across_processes(
    two_processes: tuple[Api, Api], api: Api
) -> None:
    first, second = two_processes
    ada = api.sign_up()  # through the unlimited app: the buckets start full
    account = api.open_account(ada)
    assert _deposit(first, ada, account).status_code == 200  # type: ignore[attr-defined]
    assert _deposit(second, ada, account).status_code == 200  # type: ignore[attr-defined]
    assert _deposit(first, ada, account).status_code == 200  # type: ignore[attr-defined]
    refused = _deposit(second, ada, account)  # the burst of 3 is shared by both processes
    problem = assert_problem(refused, 429, "rate-limited")
    assert int(refused.headers["Retry-After"]) >= 1  # type: ignore[attr-defined]
    assert "retry" in problem["detail"].lower()
    bob = api.sign_up()
    assert api.open_account(bob)  # another subject has its own bucket


def test_a_refused_request_appends_nothing(two_processes: tuple[Api, Api], api: Api) -> None:
    first, _ = two_processes
    ada = api.sign_up()
    account = api.open_account(ada)
    before = api.event_count()
    statuses = [_deposit(first, ada, account).status_code for _ in range(5)]  # type: ignore[attr-defined]
    assert statuses == [200, 200, 200, 429, 429]
    assert api.event_count() == before + 3


def test_sign_up_is_limited_per_client_address(two_processes: tuple[Api, Api]) -> None:
    first, _ = two_processes
    bodies = [
        {"email": f"u{n}@example.com", "full_name": "U", "password": PASSWORD} for n in range(3)
    ]
    statuses = [first.client.post("/v1/users", json=body).status_code for body in bodies]
    assert statuses == [201, 201, 429]


def test_missing_token_is_still_401_when_the_address_is_exhausted(
    two_processes: tuple[Api, Api],
) -> None:
    first, _ = two_processes
    for n in range(3):
        first.client.post(
            "/v1/users", json={"email": f"x{n}@example.com", "full_name": "X", "password": PASSWORD}
        )
    response = first.client.post("/v1/accounts", json={"owner_id": "x", "currency": "EUR"})
    assert response.status_code == 401
