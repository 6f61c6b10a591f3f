"""The client address the APIs record (here: a login's, in the user's session list) is the one
the gateway saw, whatever the client claims in ``X-Forwarded-For``; a caller that is not the
gateway cannot claim an address at all.

Linux routes all of 127.0.0.0/8 to the loopback interface, so a client bound to 127.0.0.5 is a
different address from the gateway's 127.0.0.1 without leaving the machine."""

from __future__ import annotations

from typing import Any

import httpx

from tests.credentials import PASSWORD
from tests.gateway.conftest import Gateway, sign_up
from tests.polling import wait_for

CLIENT = "127.0.0.5"
DIRECT_CALLER = "127.0.0.6"
FORGED = "203.0.113.7"


def _sessions(client: httpx.Client, user_id: str, auth: dict[str, str]) -> list[Any]:
    response = client.get(f"/v1/users/{user_id}/sessions", headers=auth)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_logins_record_the_address_the_gateway_saw_and_forged_headers_change_nothing(
    gateway: Gateway,
) -> None:
    with gateway.client(local_address=CLIENT) as client:
        user_id, email = sign_up(client)
        credentials = {"email": email, "password": PASSWORD}
        through_gateway = client.post(
            "/v1/auth/login",
            json=credentials,
            headers={"X-Forwarded-For": FORGED, "User-Agent": "ThroughGateway/1.0"},
        )
        assert through_gateway.status_code == 200, through_gateway.text
        auth = {"Authorization": f"Bearer {through_gateway.json()['access_token']}"}

        # Straight to an instance, from an address the APIs do not trust to forward.
        write_port = gateway.instance_ports()[0][0]
        direct = httpx.Client(
            base_url=f"http://127.0.0.1:{write_port}",
            transport=httpx.HTTPTransport(local_address=DIRECT_CALLER),
        )
        with direct:
            claimed = direct.post(
                "/v1/auth/login",
                json=credentials,
                headers={"X-Forwarded-For": FORGED, "User-Agent": "Direct/1.0"},
            )
        assert claimed.status_code == 200, claimed.text

        def both_logins() -> list[Any] | None:
            found = _sessions(client, user_id, auth)
            return found if len(found) == 2 else None

        sessions = wait_for(both_logins, 30, what="both logins in the session list")
    addresses = {session["user_agent"]: session["address"] for session in sessions}
    assert addresses == {"ThroughGateway/1.0": CLIENT, "Direct/1.0": DIRECT_CALLER}
