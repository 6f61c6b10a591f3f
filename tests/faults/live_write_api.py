"""The real write API in a real uvicorn server, for fault tests that need real sockets: client
timeouts, many concurrent connections, a response that never comes.

``live_write_api(settings)`` builds ``write_api.app.create_app(settings)``, optionally wraps it in
an ASGI middleware the test supplies, serves it on a free port from a background thread, waits
until ``/health/ready`` answers 200 and yields the base URL; on exit it asks the server to stop
and joins the thread with a bound. This module also owns the small client-side helpers both
fault modules share: signing up and funding through HTTP, and reading what the event store holds
(the store is the ground truth for "exactly one effect").
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import httpx
import psycopg
import uvicorn
from starlette.types import ASGIApp

from commands.event_mapping import reconstruct
from domain.account import Account
from event_store.store import EventStore
from infra.http.auth import mint_token
from infra.servers import free_port
from infra.settings import Settings
from tests.credentials import PASSWORD
from tests.polling import wait_for
from write_api.app import create_app

Middleware = Callable[[ASGIApp], ASGIApp]

# uvicorn waits this long for in-flight requests at shutdown before cancelling them, so a test
# that forgot to release a held response still stops instead of hanging.
_GRACEFUL_SHUTDOWN_S = 5
_JOIN_S = 15.0


@contextmanager
def live_write_api(
    settings: Settings, *, middleware: Middleware | None = None, ready_timeout_s: float = 30.0
) -> Iterator[str]:
    """Serve the write API (wrapped in ``middleware`` if given); yields ``http://host:port``."""
    app: ASGIApp = create_app(settings)
    if middleware is not None:
        app = middleware(app)
    port = free_port()
    # The same server options as `ledgerline serve write` (infra/cli/serve.py): our own logging
    # and access log line replace uvicorn's. lifespan="on" so a failing startup (the pool cannot
    # open) ends the server thread instead of serving without resources.
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
        lifespan="on",
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_S,
    )
    server = uvicorn.Server(config)
    # Not the main thread, so uvicorn installs no signal handlers: pytest keeps its own.
    thread = threading.Thread(target=server.run, name=f"write-api-{port}", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: _ready(base_url, thread),
            timeout=ready_timeout_s,
            interval=0.05,
            what=f"the write API on {base_url} to be ready",
        )
        yield base_url
    finally:
        server.should_exit = True
        thread.join(_JOIN_S)
    assert not thread.is_alive(), f"the write API on {base_url} did not stop in {_JOIN_S}s"


def _ready(base_url: str, thread: threading.Thread) -> bool:
    if not thread.is_alive():
        raise AssertionError(f"the write API on {base_url} exited at startup (see the log)")
    try:
        return httpx.get(f"{base_url}/health/ready", timeout=2.0).status_code == 200
    except httpx.TransportError:
        return False  # not listening yet


def bearer(settings: Settings, user_id: UUID | str, *roles: str) -> dict[str, str]:
    """Authorization header of a token for ``user_id``."""
    token = mint_token(settings, user_id, list(roles) or ["customer"], 600)
    return {"Authorization": f"Bearer {token}"}


def sign_up(client: httpx.Client, settings: Settings) -> tuple[UUID, dict[str, str]]:
    """A new customer: (user id, their Authorization header)."""
    response = client.post(
        "/v1/users",
        json={
            "email": f"{uuid.uuid4().hex[:16]}@example.com",
            "full_name": "Fault Tester",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 201, response.text
    user_id = UUID(response.json()["id"])
    return user_id, bearer(settings, user_id)


def open_account(client: httpx.Client, auth: dict[str, str], owner_id: UUID) -> UUID:
    response = client.post(
        "/v1/accounts", json={"owner_id": str(owner_id), "currency": "EUR"}, headers=auth
    )
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"])


def deposit(client: httpx.Client, auth: dict[str, str], account_id: UUID, amount: int) -> None:
    response = client.post(
        f"/v1/accounts/{account_id}/deposits",
        json={"amount": amount, "reference": "seed"},
        headers=auth,
    )
    assert response.status_code == 200, response.text


def event_types_with_key(database_url: str, key: str) -> list[str]:
    """Types of the events any request with this Idempotency-Key appended, in commit order."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "select type from events where metadata->>'idempotency_key' = %s order by position",
            (key,),
        ).fetchall()
    return [row[0] for row in rows]


def account_state(store: EventStore, account_id: UUID) -> Account:
    """The account as its stream in the event store says it is."""
    account: Any = reconstruct(store.read_stream(account_id))
    assert isinstance(account, Account), f"no account {account_id} in the store"
    return account
