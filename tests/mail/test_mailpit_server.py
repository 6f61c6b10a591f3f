"""The Mailpit launcher: built once into the cache, started, found running, stopped, restarted
with its messages, and a start that cannot happen said in one line."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.servers import MailpitServer, ServerStartError, StartOutcome, free_ports
from infra.servers.mailpit import MAILPIT_VERSION, SmtpTls
from infra.servers.process import port_accepts
from tests.mail.conftest import mailer_for, sample_mail, unique_recipient
from tests.mailbox import Mailbox
from tests.server_fixtures import temporary_root


@pytest.fixture
def root() -> Iterator[Path]:
    with temporary_root() as directory:
        yield directory


def test_the_binary_is_built_once_into_a_cache_directory_named_by_version() -> None:
    server = MailpitServer(Path("/nonexistent"), 0, 0)
    binary = server.ensure_binary()  # install.sh built it; this must not build again
    built_at = binary.stat().st_mtime_ns

    assert binary == server.cache_dir / f"mailpit-{MAILPIT_VERSION}" / "mailpit"
    assert server.ensure_binary() == binary
    assert binary.stat().st_mtime_ns == built_at
    assert not (server.root / "logs").exists()  # nothing ran, so nothing was logged


def test_it_starts_answers_stops_and_keeps_its_messages_across_a_restart(root: Path) -> None:
    server = MailpitServer(root, *free_ports(2))
    assert server.start() is StartOutcome.STARTED
    assert server.start() is StartOutcome.ALREADY_RUNNING
    pid = server.pid()
    status = server.status()
    assert status.running and status.ready and status.address == server.url

    to = unique_recipient()
    mailer = mailer_for(server)
    mailer.send(sample_mail(mailer, to))
    with Mailbox(server.url) as box:
        box.wait_for_message(to=to)

    assert server.stop() is True
    assert server.pid() is None
    assert not [port for port in server.ports() if port_accepts(port)]
    assert server.stop() is False

    assert server.start() is StartOutcome.STARTED
    assert server.pid() != pid
    with Mailbox(server.url) as box:
        assert [mail.to for mail in box.messages_to(to)] == [(to,)]
    server.stop()


def test_it_starts_again_after_being_killed(root: Path) -> None:
    server = MailpitServer(root, *free_ports(2))
    server.start()
    try:
        assert server.kill() is True
        assert server.pid() is None
        assert server.start() is StartOutcome.STARTED
        assert server.is_ready()
    finally:
        server.stop()


def test_mailbox_delete_all_empties_a_private_mailpit(root: Path) -> None:
    server = MailpitServer(root, *free_ports(2))
    server.start()
    try:
        mailer = mailer_for(server)
        to = unique_recipient()
        mailer.send(sample_mail(mailer, to))
        with Mailbox(server.url) as box:
            box.wait_for_message(to=to)
            box.delete_all()
            assert box.messages() == []
    finally:
        server.stop()


@pytest.mark.parametrize("taken", ["smtp", "http"])
def test_a_port_in_use_is_a_one_line_error_naming_it(root: Path, taken: str) -> None:
    smtp_port, http_port = free_ports(2)
    server = MailpitServer(root, smtp_port, http_port)
    port = smtp_port if taken == "smtp" else http_port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(ServerStartError, match=f"mailpit failed to start: port {port} "):
            server.start()
    assert server.pid() is None


def test_a_version_that_does_not_build_is_a_start_error_and_leaves_no_cache_behind(
    root: Path, tmp_path: Path
) -> None:
    server = MailpitServer(root, *free_ports(2), cache_dir=tmp_path, version="0.0.0")

    with pytest.raises(ServerStartError, match=r"building Mailpit 0\.0\.0 with Go failed"):
        server.start()

    assert list(tmp_path.iterdir()) == []


def test_mailpit_that_exits_at_start_fails_with_the_reason_from_its_log(root: Path) -> None:
    missing = SmtpTls(root / "missing.pem", root / "missing.key")
    server = MailpitServer(root, *free_ports(2), smtp_tls=missing)

    with pytest.raises(ServerStartError) as caught:
        server.start()

    assert caught.value.reason.startswith("[smtp] TLS certificate not found or readable")
    assert "exited with code 1" in caught.value.reason
    assert server.pid() is None
