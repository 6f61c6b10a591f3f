"""Read-your-writes: ``min_version`` waits, bounded, for the read model to catch up; the
projector's version signal wakes a waiting read at once, and without Redis it re-checks."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from httpx import Response

from infra.redis.connection import RedisNames
from infra.redis.versions import encode_versions
from infra.servers import RedisServer, free_port
from infra.settings import Settings
from read_api.app import create_app
from read_api.freshness_signals import VersionSignals
from tests.polling import wait_for
from tests.read_api.conftest import (
    Caller,
    Document,
    ReadModels,
    assert_problem,
    fields,
    read_api_settings,
)

# Long enough that the waiting tests never hit it, short enough to keep a failure quick.
_GENEROUS_WAIT_S = 5.0
_SHORT_WAIT_S = 0.3
_CATCH_UP_DELAY_S = 0.15


@pytest.fixture(scope="module")
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"min_version_wait_s": _GENEROUS_WAIT_S})


@pytest.fixture
def impatient_client(settings: Settings, models: ReadModels) -> Iterator[TestClient]:
    short = settings.model_copy(update={"min_version_wait_s": _SHORT_WAIT_S})
    with TestClient(create_app(short)) as test_client:
        yield test_client


Seeder = Callable[[ReadModels], tuple[str, str, Document]]


def _user(models: ReadModels) -> tuple[str, str, Document]:
    doc = models.user(version=2)
    return "users", f"/v1/users/{doc['id']}", doc


def _account(models: ReadModels) -> tuple[str, str, Document]:
    doc = models.account(models.user(), version=2)
    return "accounts", f"/v1/accounts/{doc['id']}", doc


def _payment(models: ReadModels) -> tuple[str, str, Document]:
    payer, payee = models.user(), models.user()
    doc = models.payment(models.account(payer), models.account(payee), version=2)
    return "payments", f"/v1/payments/{doc['id']}", doc


RESOURCES = pytest.mark.parametrize("seed", [_user, _account, _payment], ids=lambda f: f.__name__)


def _later(action: Callable[[], None]) -> threading.Timer:
    """Run ``action`` on another thread after a short delay, as a projector catching up."""
    timer = threading.Timer(_CATCH_UP_DELAY_S, action)
    timer.start()
    return timer


@RESOURCES
@pytest.mark.parametrize("min_version", [1, 2])
def test_a_caught_up_read_model_answers_at_once(
    client: TestClient, models: ReadModels, caller: Caller, seed: Seeder, min_version: int
) -> None:
    _, path, _ = seed(models)
    begun = time.monotonic()
    response = client.get(path, params={"min_version": min_version}, headers=caller("auditor"))
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert time.monotonic() - begun < _GENEROUS_WAIT_S / 2


@RESOURCES
def test_a_lagging_read_model_is_awaited_until_it_catches_up(
    client: TestClient, models: ReadModels, caller: Caller, seed: Seeder
) -> None:
    collection, path, doc = seed(models)
    timer = _later(lambda: models.set_version(collection, doc["id"], 3))
    try:
        response = client.get(path, params={"min_version": 3}, headers=caller("auditor"))
    finally:
        timer.join()
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 3


def test_a_document_not_projected_yet_is_awaited_too(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada = models.user()
    account_id = str(uuid.uuid4())

    def project_account() -> None:
        models.db.accounts.insert_one(
            {**models.account(ada, version=1), "_id": account_id, "id": account_id}
        )

    timer = _later(project_account)
    try:
        response = client.get(
            f"/v1/accounts/{account_id}", params={"min_version": 1}, headers=caller.of(ada)
        )
    finally:
        timer.join()
    assert response.status_code == 200, response.text
    assert response.json()["id"] == account_id


@RESOURCES
def test_a_read_model_that_stays_behind_is_a_504_after_the_bound(
    impatient_client: TestClient, models: ReadModels, caller: Caller, seed: Seeder
) -> None:
    _, path, _ = seed(models)
    begun = time.monotonic()
    response = impatient_client.get(path, params={"min_version": 5}, headers=caller("auditor"))
    elapsed = time.monotonic() - begun
    problem = assert_problem(response, 504, "read-model-behind")
    assert "has not caught up" in problem["detail"]
    assert _SHORT_WAIT_S <= elapsed < _GENEROUS_WAIT_S


def test_a_document_that_never_appears_is_a_504_not_a_404(
    impatient_client: TestClient, caller: Caller
) -> None:
    response = impatient_client.get(
        f"/v1/payments/{uuid.uuid4()}", params={"min_version": 1}, headers=caller("admin")
    )
    assert_problem(response, 504, "read-model-behind")


@RESOURCES
@pytest.mark.parametrize("min_version", ["0", "-3", "two", "1.5", str(2**63)])
def test_min_version_must_be_a_positive_integer(
    client: TestClient, models: ReadModels, caller: Caller, seed: Seeder, min_version: str
) -> None:
    _, path, _ = seed(models)
    response = client.get(path, params={"min_version": min_version}, headers=caller("admin"))
    assert fields(assert_problem(response, 422, "validation-error")) == ["min_version"]


def _on_redis(settings: Settings, redis_url: str, **overrides: Any) -> Settings:
    """``settings`` (same read models) with Redis at ``redis_url``."""
    return read_api_settings(
        settings.mongo_url,
        settings.elasticsearch_url,
        LEDGERLINE_REDIS_URL=redis_url,
        mongo_database=settings.mongo_database,
        search_index_prefix=settings.search_index_prefix,
        min_version_wait_s=settings.min_version_wait_s,
        **overrides,
    )


@pytest.fixture
def signalled(settings: Settings, redis_server: RedisServer) -> Iterator[SignalledApp]:
    """The query API subscribed to a Redis of the session, under names of its own, re-checking
    without a signal only after longer than the whole wait: only a signal can end a wait."""
    names = RedisNames(f"test-{uuid.uuid4().hex[:12]}")
    subscribed = _on_redis(
        settings,
        redis_server.url,
        redis_prefix=names.prefix,
        min_version_recheck_s=_GENEROUS_WAIT_S * 10,
    )
    with TestClient(create_app(subscribed)) as test_client:
        signals: VersionSignals = test_client.app.state.versions  # type: ignore[attr-defined]
        wait_for(signals.subscribed.is_set, what="the version subscription")
        yield SignalledApp(test_client, signals, redis_server.url, names)


class SignalledApp:
    def __init__(
        self, client: TestClient, signals: VersionSignals, redis_url: str, names: RedisNames
    ) -> None:
        self.client = client
        self.signals = signals
        self.redis_url = redis_url
        self.names = names

    def announce(self, versions: dict[str, int]) -> None:
        """What the MongoDB projector publishes after writing a batch."""
        client = redis.Redis.from_url(self.redis_url)
        try:
            client.publish(self.names.read_model_versions("mongo"), encode_versions(versions))
        finally:
            client.close()


def _get_in_background(
    client: TestClient, path: str, params: dict[str, int], headers: dict[str, str]
) -> tuple[threading.Thread, list[Response]]:
    answers: list[Response] = []
    thread = threading.Thread(
        target=lambda: answers.append(client.get(path, params=params, headers=headers))
    )
    thread.start()
    return thread, answers


@RESOURCES
def test_a_waiting_read_wakes_on_the_projectors_version_signal(
    signalled: SignalledApp, models: ReadModels, caller: Caller, seed: Seeder
) -> None:
    collection, path, doc = seed(models)
    thread, answers = _get_in_background(
        signalled.client, path, {"min_version": 3}, caller("auditor")
    )
    # Read once, found behind, now waiting (nothing else waits on this app).
    wait_for(lambda: signalled.signals.waits_begun == 1, what="the request waiting")
    signalled.announce({doc["id"]: 2})  # not there yet: the waiter sleeps on
    models.set_version(collection, doc["id"], 3)
    signalled.announce({str(uuid.uuid4()): 3, doc["id"]: 3})
    thread.join(_GENEROUS_WAIT_S * 2)

    assert [a.status_code for a in answers] == [200]
    assert answers[0].json()["version"] == 3
    assert signalled.signals.woken_by_signal == 1
    assert signalled.signals.rechecked_by_timer == 0
    assert signalled.signals.waiting_for(doc["id"]) == 0


def test_without_redis_a_waiting_read_falls_back_to_periodic_rechecks(
    settings: Settings, models: ReadModels, caller: Caller
) -> None:
    unreachable = _on_redis(
        settings, f"redis://127.0.0.1:{free_port()}/0", min_version_recheck_s=0.05
    )
    collection, path, doc = _account(models)
    with TestClient(create_app(unreachable)) as client:
        signals: VersionSignals = client.app.state.versions  # type: ignore[attr-defined]
        thread, answers = _get_in_background(client, path, {"min_version": 3}, caller("auditor"))
        wait_for(lambda: signals.rechecked_by_timer >= 2, what="two fallback re-checks")
        models.set_version(collection, doc["id"], 3)
        thread.join(_GENEROUS_WAIT_S * 2)
    assert [a.status_code for a in answers] == [200]
    assert signals.woken_by_signal == 0
    assert not signals.subscribed.is_set()
