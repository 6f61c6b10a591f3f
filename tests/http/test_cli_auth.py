"""`ledgerline auth token`: prints a verifiable token, or one error line and a non-zero exit."""

from __future__ import annotations

import uuid

import pytest
from typer.testing import CliRunner

from infra.cli.auth import app
from infra.http.auth import decode_token
from infra.settings import Settings

USER = str(uuid.UUID("7d9f2c4e-1b3a-4c5d-8e6f-0a1b2c3d4e5f"))


def test_the_token_command_prints_a_token_the_api_accepts() -> None:
    result = CliRunner().invoke(
        app, ["token", "--sub", USER, "--role", "customer", "--role", "operator", "--ttl", "60"]
    )
    assert result.exit_code == 0, result.output
    principal = decode_token(Settings(), result.stdout.strip())
    assert str(principal.user_id) == USER
    assert principal.roles == {"customer", "operator"}


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--sub", "bob", "--role", "customer"], id="non-uuid sub"),
        pytest.param(["--sub", USER, "--role", "pope"], id="unknown role"),
        pytest.param(["--sub", USER], id="no role"),
        pytest.param(["--role", "customer"], id="no sub"),
        pytest.param(["--sub", USER, "--role", "customer", "--ttl", "soon"], id="bad ttl"),
        pytest.param(["--sub", USER, "--role", "customer", "--ttl", "-1"], id="negative ttl"),
    ],
)
def test_bad_input_is_one_error_line_and_a_non_zero_exit(args: list[str]) -> None:
    result = CliRunner().invoke(app, ["token", *args])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
