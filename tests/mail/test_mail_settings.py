"""The mail settings: refused when unusable, and handed to child processes whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from infra.settings import DEV_JWT_SECRET, Settings

PRODUCTION: dict[str, Any] = {
    "env": "production",
    "jwt_secret": SecretStr(DEV_JWT_SECRET + "-but-not-really"),
    "signing_key_secret": SecretStr("cHJvZHVjdGlvbi1zaWduaW5nLWtleS0zMi1ieXRlcyE="),
}


def test_the_defaults_send_to_the_local_mailpit_in_clear() -> None:
    settings = Settings()

    assert (settings.smtp_host, settings.smtp_port, settings.smtp_security) == (
        "127.0.0.1",
        51025,
        "none",
    )
    assert settings.smtp_user is None and settings.smtp_password is None
    assert settings.mail_from == "Ledgerline <no-reply@ledgerline.localhost>"


def test_a_user_without_a_password_is_refused() -> None:
    with pytest.raises(ValidationError, match="go together"):
        Settings(smtp_user="ledgerline")


def test_a_login_in_clear_is_refused_in_production_only() -> None:
    login: dict[str, Any] = {
        "smtp_user": "ledgerline",
        "smtp_password": SecretStr("a relay password"),
    }
    Settings(**login)  # a local relay in development: allowed
    with pytest.raises(ValidationError, match="starttls or tls in production"):
        Settings(**PRODUCTION, **login)
    Settings(**PRODUCTION, **login, smtp_security="tls")


@pytest.mark.parametrize("sender", ["Ledgerline", "", "no-reply"])
def test_a_sender_that_is_not_an_address_is_refused(sender: str) -> None:
    with pytest.raises(ValidationError, match="LEDGERLINE_MAIL_FROM must be an address"):
        Settings(mail_from=sender)


def test_a_missing_ca_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="SMTP_CA_FILE points at a missing file"):
        Settings(smtp_ca_file=tmp_path / "nowhere.pem")


def test_a_child_process_gets_the_login_and_ca_file_only_when_they_are_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = Settings().process_environment()
    assert "LEDGERLINE_SMTP_USER" not in plain and "LEDGERLINE_SMTP_PASSWORD" not in plain
    assert "LEDGERLINE_SMTP_CA_FILE" not in plain

    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("not read here")
    parent = Settings(
        smtp_user="ledgerline", smtp_password=SecretStr("a relay password"), smtp_ca_file=ca_file
    )
    for name, value in parent.process_environment().items():
        monkeypatch.setenv(name, value)
    child = Settings()
    assert child.smtp_user == "ledgerline"
    assert child.smtp_password == SecretStr("a relay password")
    assert child.smtp_ca_file == ca_file
