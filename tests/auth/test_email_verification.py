"""E-mail verification over HTTP: a link confirms the address it was sent for, once and then
idempotently; a link for an address the user no longer has, an expired link, a forged one and
tokens of other purposes are refused naming ``token``; a link token is no access token."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from typer.testing import CliRunner

from infra.auth.email_tokens import EmailTokens, email_link, verify_email_nonce
from infra.cli.auth import app as auth_cli
from tests.auth.conftest import AuthClient, stored_events
from tests.problems import assert_problem


def verify(auth: AuthClient, token: str) -> Any:
    return auth.http.post("/v1/auth/verify-email", json={"token": token})


def assert_token_refused(response: Any, message: str) -> None:
    problem = assert_problem(response, 400, "invalid-token")
    assert [error["field"] for error in problem["errors"]] == ["token"]
    assert message in problem["detail"], problem


def test_the_link_confirms_the_address_and_following_it_again_changes_nothing(
    auth: AuthClient, email_tokens: EmailTokens
) -> None:
    user_id, _ = auth.sign_up()
    token = email_tokens.mint("verify-email", user_id, verify_email_nonce(1))
    first = verify(auth, token)
    assert first.status_code == 200, first.text
    assert first.json()["events"] == ["UserEmailVerified"]
    assert stored_events(auth.settings.database_url, user_id, "UserEmailVerified") == [
        {"email_version": 1}
    ]
    again = verify(auth, token)
    assert again.status_code == 200, again.text
    assert again.json()["events"] == [] and again.json()["version"] == first.json()["version"]


def test_a_link_sent_to_the_old_address_cannot_verify_the_new_one(
    auth: AuthClient, email_tokens: EmailTokens
) -> None:
    user_id, email = auth.sign_up()
    login = auth.logged_in(email)
    old_link = email_tokens.mint("verify-email", user_id, verify_email_nonce(1))
    changed = auth.http.patch(
        f"/v1/users/{user_id}", json={"email": "moved@example.com"}, headers=login.headers
    )
    assert changed.status_code == 200, changed.text

    assert_token_refused(verify(auth, old_link), "no longer has")
    # The notifier mails the new address a link naming the version that set it.
    new_version = changed.json()["version"]
    new_link = email_tokens.mint("verify-email", user_id, verify_email_nonce(new_version))
    assert verify(auth, new_link).status_code == 200


def test_an_expired_link_is_refused(auth: AuthClient, email_tokens: EmailTokens) -> None:
    user_id, _ = auth.sign_up()
    token = email_tokens.mint("verify-email", user_id, "1", ttl_s=3600)
    auth.clock.advance(3600)
    assert_token_refused(verify(auth, token), "expired")


def test_the_default_lifetime_is_a_day(auth: AuthClient, email_tokens: EmailTokens) -> None:
    user_id, _ = auth.sign_up()
    token = email_tokens.mint("verify-email", user_id, "1")
    auth.clock.advance(24 * 3600 - 5)
    assert verify(auth, token).status_code == 200


def test_an_access_token_is_no_link_and_a_link_is_no_access_token(
    auth: AuthClient, email_tokens: EmailTokens
) -> None:
    user_id, email = auth.sign_up()
    login = auth.logged_in(email)
    assert_token_refused(verify(auth, login.access_token), "something else")

    link = email_tokens.mint("verify-email", user_id, "1")
    as_bearer = auth.http.post("/v1/auth/logout", headers={"Authorization": f"Bearer {link}"})
    assert_problem(as_bearer, 401, "unauthenticated")
    as_bearer = auth.http.patch(
        f"/v1/users/{user_id}", json={"full_name": "X"}, headers={"Authorization": f"Bearer {link}"}
    )
    assert_problem(as_bearer, 401, "unauthenticated")


def test_a_reset_link_cannot_verify_an_address(auth: AuthClient, email_tokens: EmailTokens) -> None:
    user_id, _ = auth.sign_up()
    reset_link = email_tokens.mint("password-reset", user_id, "1")
    assert_token_refused(verify(auth, reset_link), "something else")


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "x" * 4096])
def test_garbage_is_refused_naming_the_token(auth: AuthClient, token: str) -> None:
    assert_token_refused(verify(auth, token), "not valid")


def test_a_token_signed_by_someone_else_is_refused(
    auth: AuthClient, email_tokens: EmailTokens
) -> None:
    user_id, _ = auth.sign_up()
    header, payload, signature = email_tokens.mint("verify-email", user_id, "1").split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    assert_token_refused(verify(auth, forged), "not valid")


def test_the_link_points_at_the_public_url(auth: AuthClient, email_tokens: EmailTokens) -> None:
    user_id, _ = auth.sign_up()
    token = email_tokens.mint("verify-email", user_id, "1")
    link = email_link(auth.settings.public_url, "verify-email", token)
    # By default the public URL is the gateway's, where the web console is served.
    assert link == f"https://127.0.0.1:8443/verify-email?token={token}"
    assert email_link("https://pay.example/", "password-reset", "t.k-n_") == (
        "https://pay.example/reset-password?token=t.k-n_"
    )


def test_a_key_rotation_leaves_links_working_without_publishing_the_old_key(
    auth: AuthClient, email_tokens: EmailTokens
) -> None:
    user_id, _ = auth.sign_up()
    token = email_tokens.mint("verify-email", user_id, "1")
    old_kid = jwt.get_unverified_header(token)["kid"]
    env = {"LEDGERLINE_DATABASE_URL": auth.settings.database_url}
    rotated = CliRunner().invoke(auth_cli, ["keys", "rotate"], env=env)
    assert rotated.exit_code == 0, rotated.output

    auth.clock.advance(auth.settings.access_token_ttl_s + 61)  # no access token of it lives
    published = {key["kid"] for key in auth.http.get("/.well-known/jwks.json").json()["keys"]}
    assert old_kid not in published
    assert verify(auth, token).status_code == 200
