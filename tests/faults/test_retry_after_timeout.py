"""A client that times out and retries with the same Idempotency-Key never causes a double effect
(issue 6, item 4).

The fault is injected between commit and response: ``HoldResponses``, a pure ASGI middleware
around the real write API in a real uvicorn server, lets the first request with an armed key run
to completion (the command commits) but keeps its response from the client until the test
releases it. The client's short read timeout fires; it retries with the same key and body while
the original is still held, and must get the original success response, replayed, with exactly
one effect in the event store. Also covered: a retry with the same key but another body (422,
still one effect), and the mirror case where the original is held *before* its command runs, so
the retry commits first and the released original is the one that replays.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
import pytest
from pydantic import SecretStr
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.settings import Settings
from tests.faults.live_write_api import (
    account_state,
    deposit,
    event_types_with_key,
    live_write_api,
    open_account,
    sign_up,
)
from tests.polling import wait_for
from tests.problems import assert_problem
from tests.server_fixtures import event_store_on

pytestmark = pytest.mark.faults

SECRET = "tests-faults-retry-secret-long-enough-for-hs256"
# How long the impatient client waits for a held response before giving up: short, so the
# tests do not wait long for the timeout they inject.
CLIENT_READ_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class HeldResponse:
    """What the app answered to a held request (and the client never saw)."""

    status: int
    headers: Headers
    body: bytes


@dataclass
class _Hold:
    before_commit: bool
    claimed: bool = False
    released: bool = False
    loop: asyncio.AbstractEventLoop | None = None
    gate: asyncio.Event | None = None
    # Set (from the server's thread) once the inner app has answered: the command committed.
    answered: threading.Event = field(default_factory=threading.Event)
    response: HeldResponse | None = None


class HoldResponses:
    """Holds the first request carrying an armed Idempotency-Key until ``release_all``.

    By default the app runs to the end and its response is buffered, so the command commits but
    the client sees nothing: a timeout between commit and response. With ``before_commit`` the
    body is read and the request waits before the app runs, so a retry can overtake it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._holds: dict[str, _Hold] = {}

    def arm(self, key: str, *, before_commit: bool = False) -> None:
        with self._lock:
            self._holds[key] = _Hold(before_commit=before_commit)

    def answered(self, key: str) -> HeldResponse | None:
        """The app's answer to the held request once it has one (None before)."""
        hold = self._holds[key]
        return hold.response if hold.answered.is_set() else None

    def release_all(self) -> None:
        with self._lock:
            for hold in self._holds.values():
                hold.released = True
                if hold.loop is not None and hold.gate is not None:
                    # RuntimeError: the server's loop is gone, so nothing waits any more.
                    with contextlib.suppress(RuntimeError):
                        hold.loop.call_soon_threadsafe(hold.gate.set)

    def _claim(self, scope: Scope) -> _Hold | None:
        key = Headers(scope=scope).get("idempotency-key")
        with self._lock:
            hold = self._holds.get(key) if key is not None else None
            if hold is None or hold.claimed:
                return None  # not armed, or a retry: straight through
            hold.claimed = True
            hold.loop = asyncio.get_running_loop()
            hold.gate = asyncio.Event()
            if hold.released:
                hold.gate.set()
            return hold

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hold = self._claim(scope) if scope["type"] == "http" else None
        if hold is None:
            await self.app(scope, receive, send)
            return
        assert hold.gate is not None
        if hold.before_commit:
            # Read the body now: after the client gives up, the server has no body to give.
            body = await _read_body(receive)
            await hold.gate.wait()
            receive = _replay_body(body, receive)
        messages: list[Message] = []

        async def buffer(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, buffer)
        # ASGI: one http.response.start, then the http.response.body messages.
        start, *chunks = messages
        assert start["type"] == "http.response.start", start
        hold.response = HeldResponse(
            status=start["status"],
            headers=Headers(raw=list(start.get("headers", []))),
            body=b"".join(chunk.get("body", b"") for chunk in chunks),
        )
        hold.answered.set()
        await hold.gate.wait()
        for message in messages:
            await send(message)  # uvicorn drops these quietly if the client is gone


async def _read_body(receive: Receive) -> list[Message]:
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replay_body(body: list[Message], receive: Receive) -> Receive:
    pending = list(body)

    async def replaying() -> Message:
        return pending.pop(0) if pending else await receive()

    return replaying


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        LEDGERLINE_DATABASE_URL=database_url,
        env="test",
        jwt_secret=SecretStr(SECRET),
        db_pool_min_size=1,
        db_pool_max_size=8,
        rate_limit_enabled=False,
    )


@dataclass
class Live:
    settings: Settings
    database_url: str
    holder: HoldResponses
    client: httpx.Client  # generous timeouts: for set-up and for retries

    def impatient_client(self) -> httpx.Client:
        """A client that gives up on a response after CLIENT_READ_TIMEOUT_S."""
        return httpx.Client(
            base_url=str(self.client.base_url),
            timeout=httpx.Timeout(10.0, read=CLIENT_READ_TIMEOUT_S),
        )


@pytest.fixture
def live(settings: Settings, database_url: str) -> Iterator[Live]:
    holders: list[HoldResponses] = []

    def wrap(app: ASGIApp) -> ASGIApp:
        holders.append(HoldResponses(app))
        return holders[0]

    with live_write_api(settings, middleware=wrap) as base_url:
        try:
            with httpx.Client(base_url=base_url, timeout=30.0) as client:
                yield Live(settings, database_url, holders[0], client)
        finally:
            # Before the server stops: no request may stay parked on a gate.
            holders[0].release_all()


@dataclass(frozen=True)
class Scenario:
    """A command whose only success must happen once, and how to check its effect."""

    path: str
    body: dict[str, Any] | None
    auth: dict[str, str]
    # account id -> (balance, available) once the command applied exactly once
    expected: dict[UUID, tuple[int, int]]


def deposit_scenario(live: Live) -> Scenario:
    owner, auth = sign_up(live.client, live.settings)
    account = open_account(live.client, auth, owner)
    deposit(live.client, auth, account, 1_000)
    return Scenario(
        f"/v1/accounts/{account}/deposits",
        {"amount": 250, "reference": "salary"},
        auth,
        {account: (1_250, 1_250)},
    )


def transfer_scenario(live: Live) -> Scenario:
    owner, auth = sign_up(live.client, live.settings)
    source = open_account(live.client, auth, owner)
    target = open_account(live.client, auth, owner)
    deposit(live.client, auth, source, 1_000)
    return Scenario(
        "/v1/transfers",
        {
            "from_account_id": str(source),
            "to_account_id": str(target),
            "amount": 400,
            "reference": "rent",
        },
        auth,
        {source: (600, 600), target: (400, 400)},
    )


def capture_scenario(live: Live) -> Scenario:
    payer, payer_auth = sign_up(live.client, live.settings)
    payee, payee_auth = sign_up(live.client, live.settings)
    wallet = open_account(live.client, payer_auth, payer)
    till = open_account(live.client, payee_auth, payee)
    deposit(live.client, payer_auth, wallet, 1_000)
    authorized = live.client.post(
        "/v1/payments",
        json={
            "payer_account_id": str(wallet),
            "payee_account_id": str(till),
            "amount": 300,
            "description": "a book",
            "merchant": "Book Shop",
        },
        headers=payer_auth,
    )
    assert authorized.status_code == 201, authorized.text
    # A second capture without the key would be a 409 (already captured): the retry must get
    # the original 200 instead.
    return Scenario(
        f"/v1/payments/{authorized.json()['id']}/capture",
        None,
        payer_auth,
        {wallet: (700, 700), till: (300, 300)},
    )


SCENARIOS: dict[str, Callable[[Live], Scenario]] = {
    "deposit": deposit_scenario,
    "transfer": transfer_scenario,
    "payment capture": capture_scenario,
}


def send(client: httpx.Client, scenario: Scenario, key: str, body: Any = None) -> httpx.Response:
    headers = {**scenario.auth, "Idempotency-Key": key}
    payload = scenario.body if body is None else body
    if payload is None:
        return client.post(scenario.path, headers=headers)
    return client.post(scenario.path, json=payload, headers=headers)


def assert_applied_once(live: Live, scenario: Scenario, key: str, events: list[str]) -> None:
    """The store holds the command's events once, and the accounts moved once."""
    assert event_types_with_key(live.database_url, key) == events
    with event_store_on(live.database_url) as store:
        for account_id, (balance, available) in scenario.expected.items():
            account = account_state(store, account_id)
            assert (account.balance, account.available) == (balance, available), account_id


def time_out_after_commit(live: Live, scenario: Scenario, key: str) -> HeldResponse:
    """Send the command with ``key`` through the hold; the client times out while the command
    commits. Returns the response the app gave (and the client never saw)."""
    live.holder.arm(key)
    with live.impatient_client() as impatient, pytest.raises(httpx.ReadTimeout):
        send(impatient, scenario, key)
    held = wait_for(
        lambda: live.holder.answered(key), timeout=10, what="the held command to be answered"
    )
    assert held is not None
    assert 200 <= held.status < 300, held.body
    return held


@pytest.mark.parametrize("command", list(SCENARIOS))
def test_a_retry_after_a_timeout_replays_the_committed_response_and_applies_once(
    live: Live, command: str
) -> None:
    scenario = SCENARIOS[command](live)
    key = f"retry-{uuid.uuid4()}"
    held = time_out_after_commit(live, scenario, key)

    # The original response is still held: the retry overlaps it, as a real client's would.
    retry = send(live.client, scenario, key)

    assert retry.status_code == held.status
    assert retry.content == held.body
    assert retry.headers["etag"] == held.headers["etag"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in held.headers
    assert_applied_once(live, scenario, key, retry.json()["events"])


def test_retrying_again_after_the_original_is_delivered_still_applies_once(live: Live) -> None:
    scenario = deposit_scenario(live)
    key = f"retry-{uuid.uuid4()}"
    held = time_out_after_commit(live, scenario, key)
    live.holder.release_all()

    retries = [send(live.client, scenario, key) for _ in range(3)]

    assert [r.status_code for r in retries] == [held.status] * 3
    assert {r.content for r in retries} == {held.body}
    assert_applied_once(live, scenario, key, ["AccountCredited"])


def test_a_retry_with_the_same_key_but_another_body_is_422_and_applies_nothing(
    live: Live,
) -> None:
    scenario = deposit_scenario(live)
    key = f"retry-{uuid.uuid4()}"
    held = time_out_after_commit(live, scenario, key)

    other = send(live.client, scenario, key, body={"amount": 999, "reference": "salary"})

    assert_problem(other, 422, "idempotency-key-reused")
    assert "idempotent-replayed" not in other.headers
    # The faithful retry still gets the original answer afterwards.
    faithful = send(live.client, scenario, key)
    assert (faithful.status_code, faithful.content) == (held.status, held.body)
    assert_applied_once(live, scenario, key, ["AccountCredited"])


def test_a_retry_that_overtakes_a_stalled_original_applies_once(live: Live) -> None:
    scenario = transfer_scenario(live)
    key = f"retry-{uuid.uuid4()}"
    live.holder.arm(key, before_commit=True)
    with live.impatient_client() as impatient, pytest.raises(httpx.ReadTimeout):
        send(impatient, scenario, key)

    # The original has not run its command yet: the retry is the first to commit.
    retry = send(live.client, scenario, key)
    assert retry.status_code == 201, retry.text
    assert "idempotent-replayed" not in retry.headers
    live.holder.release_all()
    original = wait_for(
        lambda: live.holder.answered(key), timeout=10, what="the stalled original to be answered"
    )
    assert original is not None

    assert original.status == retry.status_code
    assert original.body == retry.content
    assert original.headers["idempotent-replayed"] == "true"
    assert_applied_once(live, scenario, key, retry.json()["events"])
