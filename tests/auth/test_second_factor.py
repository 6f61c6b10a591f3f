"""TOTP enrolment, two-step logins with a TOTP code or a recovery code (time moved by the test,
not slept), replays refused, disabling, and staff roles that wait for a second factor."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg

from infra.auth import totp
from infra.http.auth import mint_token
from tests.auth.conftest import PASSWORD, AuthClient, Login
from tests.problems import assert_problem


def second_step(auth: AuthClient, email: str, code: str) -> Any:
    first = auth.log_in(email)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body == {"mfa_required": True, "mfa_token": body["mfa_token"]}
    return auth.http.post("/v1/auth/mfa", json={"mfa_token": body["mfa_token"], "code": code})


def test_enrolment_shows_a_qr_code_and_confirming_returns_ten_recovery_codes(
    auth: AuthClient,
) -> None:
    _, email = auth.sign_up()
    login = auth.logged_in(email)
    started = auth.http.post(f"/v1/users/{login.user_id}/mfa/totp", headers=login.headers)
    assert started.status_code == 200, started.text
    body = started.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/Ledgerline:")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    assert body["qr_svg"].startswith("<svg") and "</svg>" in body["qr_svg"]
    wrong = auth.http.post(
        f"/v1/users/{login.user_id}/mfa/totp/confirm",
        json={"code": "000000" if totp.code_at(body["secret"], auth.clock()) != "000000" else "1"},
        headers=login.headers,
    )
    problem = assert_problem(wrong, 422, "invalid-code")
    assert [e["field"] for e in problem["errors"]] == ["code"]
    confirmed = auth.http.post(
        f"/v1/users/{login.user_id}/mfa/totp/confirm",
        json={"code": totp.code_at(body["secret"], auth.clock())},
        headers=login.headers,
    )
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert confirmed.json()["id"] == str(login.user_id)
    with psycopg.connect(auth.settings.database_url) as conn:
        newest = conn.execute(
            "SELECT version, type FROM events WHERE stream_id = %s ORDER BY version DESC LIMIT 1",
            (login.user_id,),
        ).fetchone()
    assert newest is not None and newest[1] == "UserMfaEnabled"
    assert confirmed.json()["version"] == newest[0]  # for min_version: read your own write


def test_login_with_totp_each_code_once(auth: AuthClient) -> None:
    _, email = auth.sign_up()
    secret, _ = auth.enable_mfa(auth.logged_in(email))
    auth.next_step()  # the enrolment used this step's code
    code = totp.code_at(secret, auth.clock())
    done = second_step(auth, email, code)
    assert done.status_code == 200, done.text
    assert Login(uuid.uuid4(), done.json()["access_token"], "").claims["amr"] == ["pwd", "otp"]

    replay = second_step(auth, email, code)
    assert_problem(replay, 401, "invalid-credentials")
    auth.next_step()
    assert second_step(auth, email, totp.code_at(secret, auth.clock())).status_code == 200
    # One step of clock drift either way is accepted.
    auth.next_step()
    late = totp.code_at(secret, auth.clock())
    auth.next_step()
    assert second_step(auth, email, late).status_code == 200


def test_a_recovery_code_logs_in_once(auth: AuthClient) -> None:
    _, email = auth.sign_up()
    _, codes = auth.enable_mfa(auth.logged_in(email))
    assert second_step(auth, email, codes[3]).status_code == 200
    assert_problem(second_step(auth, email, codes[3]), 401, "invalid-credentials")
    assert second_step(auth, email, codes[4].upper()).status_code == 200


def test_a_forged_or_expired_mfa_ticket_is_refused(auth: AuthClient) -> None:
    _, email = auth.sign_up()
    secret, _ = auth.enable_mfa(auth.logged_in(email))
    ticket = auth.log_in(email).json()["mfa_token"]
    auth.next_step()
    code = totp.code_at(secret, auth.clock())
    forged = auth.http.post("/v1/auth/mfa", json={"mfa_token": ticket + "x", "code": code})
    assert_problem(forged, 401, "invalid-credentials")
    # A ticket is not an access token either.
    as_bearer = auth.http.post("/v1/auth/logout", headers={"Authorization": f"Bearer {ticket}"})
    assert_problem(as_bearer, 401, "unauthenticated")


def test_disabling_needs_the_password_and_a_code(auth: AuthClient) -> None:
    user_id, email = auth.sign_up()
    login = auth.logged_in(email)
    secret, codes = auth.enable_mfa(login)
    auth.next_step()
    code = totp.code_at(secret, auth.clock())
    wrong_password = auth.http.request(
        "DELETE",
        f"/v1/users/{user_id}/mfa",
        json={"password": "not my password at all", "code": code},
        headers=login.headers,
    )
    assert assert_problem(wrong_password, 422, "wrong-password")["errors"][0]["field"] == "password"
    wrong_code = auth.http.request(
        "DELETE",
        f"/v1/users/{user_id}/mfa",
        json={"password": PASSWORD, "code": "12345x"},
        headers=login.headers,
    )
    assert_problem(wrong_code, 422, "invalid-code")
    disabled = auth.http.request(
        "DELETE",
        f"/v1/users/{user_id}/mfa",
        json={"password": PASSWORD, "code": codes[0]},
        headers=login.headers,
    )
    assert disabled.status_code == 200, disabled.text
    assert "access_token" in auth.log_in(email).json()  # one step again


def test_staff_roles_reach_tokens_only_with_a_second_factor(auth: AuthClient) -> None:
    user_id, email = auth.sign_up()
    admin_token = mint_token(auth.settings, uuid.uuid4(), ["admin"], 300)
    admin = {"Authorization": f"Bearer {admin_token}"}
    login = auth.logged_in(email)
    not_admin = auth.http.post(
        f"/v1/users/{user_id}/roles", json={"role": "auditor"}, headers=login.headers
    )
    assert_problem(not_admin, 403, "forbidden")
    granted = auth.http.post(f"/v1/users/{user_id}/roles", json={"role": "auditor"}, headers=admin)
    assert granted.status_code == 200, granted.text

    assert auth.logged_in(email).claims["roles"] == ["customer"]  # no second factor yet
    secret, _ = auth.enable_mfa(login)
    auth.next_step()
    done = second_step(auth, email, totp.code_at(secret, auth.clock()))
    roles = Login(user_id, done.json()["access_token"], "").claims["roles"]
    assert roles == ["auditor", "customer"]

    revoked = auth.http.delete(f"/v1/users/{user_id}/roles/auditor", headers=admin)
    assert revoked.status_code == 200, revoked.text
    auth.next_step()
    done = second_step(auth, email, totp.code_at(secret, auth.clock()))
    assert Login(user_id, done.json()["access_token"], "").claims["roles"] == ["customer"]
    unknown = auth.http.delete(f"/v1/users/{user_id}/roles/auditor", headers=admin)
    assert_problem(unknown, 409, "role-not-held")
