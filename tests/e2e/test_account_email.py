"""E-mail verification and preferences through the whole pipeline: the write API's events reach
the users read model, and the query API shows the verification, the preferences and the
language, until a new address or forgetting undoes them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from event_store.connection import open_pool
from event_store.store import EventStore
from infra.auth.email_tokens import EmailTokens, verify_email_nonce
from infra.bootstrap import build_email_tokens, build_key_store
from tests.credentials import PASSWORD
from tests.e2e.conftest import System


@pytest.fixture
def email_tokens(system: System) -> Iterator[EmailTokens]:
    pool = open_pool(system.settings.database_url, min_size=1, max_size=1)
    try:
        yield build_email_tokens(
            system.settings, build_key_store(system.settings, EventStore(pool))
        )
    finally:
        pool.close()


def test_verification_preferences_and_language_reach_the_query_api(
    system: System, email_tokens: EmailTokens
) -> None:
    body = {"email": "ada.mail@example.com", "full_name": "Ada", "password": PASSWORD}
    ada = system.command("/v1/users", body | {"language": "pt"}, {}, 201)["id"]
    auth = system.token(ada)
    token = email_tokens.mint("verify-email", ada, verify_email_nonce(1))
    verified = system.command("/v1/auth/verify-email", {"token": token}, {})
    user = system.get(f"/v1/users/{ada}", auth, min_version=verified["version"])
    assert user["email_verified"] is True

    path = f"/v1/users/{ada}/notification-preferences"
    changed = system.write.put(path, json={"email": {"money_received": False}}, headers=auth)
    assert changed.status_code == 200, changed.text
    preferences = system.get(path, auth, min_version=changed.json()["version"])
    assert preferences["language"] == "pt"
    assert preferences["email"]["money_received"] is False
    assert preferences["email"]["new_device_login"] is True

    moved = system.write.patch(
        f"/v1/users/{ada}", json={"email": "ada.new@example.com"}, headers=auth
    )
    assert moved.status_code == 200, moved.text
    user = system.get(f"/v1/users/{ada}", auth, min_version=moved.json()["version"])
    assert user["email_verified"] is False

    gone = system.write.delete(f"/v1/users/{ada}/personal-data", headers=auth)
    assert gone.status_code == 200, gone.text
    preferences = system.get(path, auth, min_version=gone.json()["version"])
    assert preferences["language"] is None
    assert set(preferences["email"].values()) == {True}
