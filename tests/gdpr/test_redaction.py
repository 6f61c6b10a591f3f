"""Personal data and secrets stay out of log lines and dead-letter error texts, whoever put them
there."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from kafka.consumer.fetcher import ConsumerRecord

from infra.logging import configure_logging
from projections.dead_letter import DeadLetter
from projections.operations import ProjectionError

EMAIL, NAME = "grace.hopper@navy.example", "Grace Brewster Hopper"


def _record() -> ConsumerRecord:
    return ConsumerRecord(
        topic="t", partition=0, leader_epoch=-1, offset=7, timestamp=0, timestamp_type=0,
        key=b"k", value=b"{}", headers=[], checksum=None, serialized_key_size=1,
        serialized_value_size=2, serialized_header_size=0,
    )  # fmt: skip


def test_a_dead_letters_error_text_does_not_quote_the_opened_personal_values() -> None:
    error = ProjectionError(f"cannot project user {NAME} <{EMAIL}>: field too long")
    letter = DeadLetter(_record(), error, "group", [EMAIL, NAME])
    headers = dict(letter.headers())
    text = headers["error"].decode()
    assert NAME not in text and EMAIL not in text
    assert text == (
        "ProjectionError: cannot project user [personal data] <[personal data]>: field too long"
    )


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """configure_logging replaces the root handler with one on the captured stderr of this
    test; put back what was there, so later tests do not log into a closed stream."""
    handlers, level = logging.root.handlers[:], logging.root.level
    config = structlog.get_config()
    try:
        yield
    finally:
        logging.root.handlers[:] = handlers
        logging.root.setLevel(level)
        structlog.configure(**config)


@pytest.mark.parametrize("fmt", ["json", "console"])
@pytest.mark.usefixtures("logging_restored")
def test_log_lines_mask_email_addresses_and_personal_or_secret_keys(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", fmt)  # type: ignore[arg-type]
    structlog.get_logger("test").info(
        "signed_up",
        email=EMAIL,
        full_name=NAME,
        refresh_token="rt-secret-value",
        new_password="correct horse battery staple",
        detail=f"welcome mail to {EMAIL}",
        attempts=3,
    )
    logging.getLogger("foreign.library").warning("could not deliver to %s", EMAIL)
    try:
        raise ValueError(f"address {EMAIL} refused")
    except ValueError:
        structlog.get_logger("test").exception("delivery_failed")
    output = capsys.readouterr().err
    for secret in (EMAIL, NAME, "rt-secret-value", "correct horse"):
        assert secret not in output
    assert "signed_up" in output and "[email]" in output and "[redacted]" in output
    assert "attempts" in output and "ValueError" in output
    if fmt == "json":
        first = json.loads(output.splitlines()[0])
        assert first["email"] == "[redacted]" and first["attempts"] == 3
