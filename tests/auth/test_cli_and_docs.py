"""Roles from the command line, and the OpenAPI documents' login for the docs' "Authorize"."""

from __future__ import annotations

import psycopg
from typer.testing import CliRunner

from infra.cli.users import app as users_cli
from tests.auth.conftest import AuthClient


def test_roles_are_granted_and_revoked_from_the_command_line(auth: AuthClient) -> None:
    user_id, email = auth.sign_up()
    env = {"LEDGERLINE_DATABASE_URL": auth.settings.database_url}
    granted = CliRunner().invoke(users_cli, ["grant-role", email.upper(), "operator"], env=env)
    assert granted.exit_code == 0, granted.output
    assert f"role operator granted to user {user_id}" in granted.output
    with psycopg.connect(auth.settings.database_url) as conn:
        recorded = conn.execute(
            "SELECT data->>'role', metadata->>'command' FROM events"
            " WHERE stream_id = %s AND type = 'UserRoleGranted'",
            (user_id,),
        ).fetchall()
    assert recorded == [("operator", "GrantRole")]
    revoked = CliRunner().invoke(users_cli, ["revoke-role", email, "operator"], env=env)
    assert revoked.exit_code == 0, revoked.output
    again = CliRunner().invoke(users_cli, ["revoke-role", email, "operator"], env=env)
    assert again.exit_code == 1 and again.output.startswith("error: ")
    assert len(again.output.strip().splitlines()) == 1
    nobody = CliRunner().invoke(users_cli, ["grant-role", "nobody@example.com", "admin"], env=env)
    assert nobody.exit_code == 1 and "no user has this e-mail address" in nobody.output
    bad_role = CliRunner().invoke(users_cli, ["grant-role", email, "superuser"], env=env)
    assert bad_role.exit_code == 1 and "superuser" in bad_role.output


def test_the_docs_can_log_in_with_the_oauth2_password_flow(auth: AuthClient) -> None:
    schemes = auth.http.get("/openapi.json").json()["components"]["securitySchemes"]
    flow = schemes["OAuth2PasswordBearer"]["flows"]["password"]
    assert flow["tokenUrl"] == "/v1/auth/token"
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
