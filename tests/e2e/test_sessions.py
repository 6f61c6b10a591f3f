"""Logins become sessions in the read model: the query API lists a user's active sessions,
marks the caller's own, and drops revoked ones; security events reach both read models without
a dead letter."""

from __future__ import annotations

from typing import Any

from tests.credentials import PASSWORD
from tests.e2e.conftest import System
from tests.polling import wait_for


def _log_in(system: System, email: str, agent: str) -> dict[str, str]:
    response = system.write.post(
        "/v1/auth/login",
        json={"email": email, "password": PASSWORD},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _sessions(system: System, user_id: str, auth: dict[str, str]) -> list[Any]:
    response = system.read.get(f"/v1/users/{user_id}/sessions", headers=auth)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_active_sessions_are_listed_and_revoked_ones_disappear(system: System) -> None:
    body = {"email": "ada.sessions@example.com", "full_name": "Ada", "password": PASSWORD}
    ada = system.command("/v1/users", body, {}, 201)["id"]
    laptop = _log_in(system, body["email"], "Laptop/1.0")
    phone = _log_in(system, body["email"], "Phone/2.0")
    system.get(f"/v1/users/{ada}", laptop, min_version=3)  # registered, two logins

    wait_for(lambda: len(_sessions(system, ada, laptop)) == 2, 30, what="two sessions")
    listed = _sessions(system, ada, laptop)
    assert {s["user_agent"] for s in listed} == {"Laptop/1.0", "Phone/2.0"}
    mine = [s for s in listed if s["current"]]
    assert [s["user_agent"] for s in mine] == ["Laptop/1.0"]
    assert all(s["amr"] == ["pwd"] and s["address"] for s in listed)

    phone_sid = next(s["id"] for s in listed if s["user_agent"] == "Phone/2.0")
    revoked = system.write.delete(f"/v1/users/{ada}/sessions/{phone_sid}", headers=laptop)
    assert revoked.status_code == 200, revoked.text
    wait_for(lambda: len(_sessions(system, ada, laptop)) == 1, 30, what="the phone's session gone")

    eve_body = {"email": "eve.s@example.com", "full_name": "Eve", "password": PASSWORD}
    system.command("/v1/users", eve_body, {}, 201)
    eve = _log_in(system, eve_body["email"], "Eve/1.0")
    assert system.read.get(f"/v1/users/{ada}/sessions", headers=eve).status_code == 404

    everywhere = system.write.delete(f"/v1/users/{ada}/sessions", headers=laptop)
    assert everywhere.status_code == 200, everywhere.text
    wait_for(lambda: _sessions(system, ada, phone) == [], 30, what="no session left")
    user = system.get(f"/v1/users/{ada}", laptop, min_version=everywhere.json()["version"])
    assert user["mfa_enabled"] is False
