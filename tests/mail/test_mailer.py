"""Sending mail through a real Mailpit over SMTP, and every way a send fails sorted into "try
again later" (MailUnavailable) or "never" (MailRejected)."""

from __future__ import annotations

import smtplib
import socket
from email import message_from_bytes, policy

import pytest
from pydantic import SecretStr

from infra.mail import Mailer, MailRejected, MailUnavailable
from infra.servers import MailpitServer, free_port
from infra.settings import Settings
from tests.mail.conftest import Certificates, Chaos, mailer_for, sample_mail, unique_recipient
from tests.mailbox import Mailbox

LOGIN = {"smtp_user": "ledgerline", "smtp_password": SecretStr("a-relay-password")}


def test_a_sent_mail_arrives_with_its_subject_both_parts_and_its_message_id(
    mailpit_server: MailpitServer, mailbox: Mailbox
) -> None:
    mailer = mailer_for(mailpit_server)
    to = unique_recipient()
    mail = sample_mail(mailer, to, to_name="Ada Lovelace")

    mailer.send(mail)

    received = mailbox.wait_for_message(to=to, subject_contains="25.00 EUR")
    assert received.subject == "You received 25.00 EUR"
    assert received.from_address == "no-reply@ledgerline.localhost"
    assert received.from_name == "Ledgerline"
    assert received.to == (to,)
    assert f"<{received.message_id}>" == mail.message_id
    assert received.text.strip() == mail.text.strip()
    assert "<strong>25.00 EUR</strong>" in received.html
    headers = mailbox.headers(received.id)
    assert headers["Date"] and headers["Auto-Submitted"] == ["auto-generated"]
    assert headers["To"] == [f"Ada Lovelace <{to}>"]
    parsed = message_from_bytes(mailbox.raw(received.id), policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in parsed.iter_parts()] == [
        "text/plain",
        "text/html",
    ]


def counting_connections(mailer: Mailer, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time ``mailer`` opens an SMTP connection (the real one)."""
    opened: list[int] = []
    real_open = mailer._open

    def open_and_count() -> smtplib.SMTP:
        opened.append(1)
        return real_open()

    monkeypatch.setattr(mailer, "_open", open_and_count)
    return opened


def test_a_session_sends_several_mails_on_one_connection(
    mailpit_server: MailpitServer, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailer = mailer_for(mailpit_server)
    opened = counting_connections(mailer, monkeypatch)
    recipients = [unique_recipient() for _ in range(3)]

    with mailer.session() as session:
        for to in recipients:
            session.send(sample_mail(mailer, to))

    assert len(opened) == 1
    for to in recipients:
        assert mailbox.wait_for_message(to=to).to == (to,)


def test_a_refusal_in_a_session_closes_its_connection_and_the_next_mail_gets_a_fresh_one(
    chaos: Chaos, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailer = mailer_for(chaos.server)
    opened = counting_connections(mailer, monkeypatch)
    refused, accepted = unique_recipient(), unique_recipient()

    with mailer.session() as session:
        chaos.set(Recipient=550)
        with pytest.raises(MailRejected):
            session.send(sample_mail(mailer, refused))
        chaos.set()
        session.send(sample_mail(mailer, accepted))

    assert len(opened) == 2
    with Mailbox(chaos.server.url) as box:
        assert box.wait_for_message(to=accepted).to == (accepted,)
        assert box.messages_to(refused) == []


def test_portuguese_text_and_names_arrive_intact(
    mailpit_server: MailpitServer, mailbox: Mailbox
) -> None:
    mailer = mailer_for(mailpit_server)
    to = unique_recipient()

    mailer.send(sample_mail(mailer, to, language="pt", to_name="João Conceição"))

    received = mailbox.wait_for_message(to=to)
    assert received.subject == "Dinheiro recebido: 25.00 EUR"
    assert "Foram creditados 25.00 EUR na sua conta acc-7f3a." in received.text
    assert "Referência: salary" in received.html
    assert received.to_names == ("João Conceição",)
    assert mailbox.headers(received.id)["To"][0].startswith("=?utf-8?")  # encoded on the wire


def test_the_same_key_gives_the_same_message_id_so_a_resend_is_recognisable(
    mailpit_server: MailpitServer, mailbox: Mailbox
) -> None:
    mailer = mailer_for(mailpit_server)
    to = unique_recipient()
    message_id = mailer.message_id_for("notification.0b7e2c1d")
    assert message_id == "<notification.0b7e2c1d@ledgerline.localhost>"

    mailer.send(sample_mail(mailer, to, message_id=message_id))
    mailer.send(sample_mail(mailer, to, message_id=mailer.message_id_for("notification.0b7e2c1d")))

    mailbox.wait_for_message(to=to)
    sent = [mail.message_id for mail in mailbox.messages_to(to)]
    assert sent == ["notification.0b7e2c1d@ledgerline.localhost"] * len(sent)


@pytest.mark.parametrize("key", ["", "has space", "a@b", "<x>", "line\nbreak", ".leading"])
def test_a_message_id_key_that_is_not_a_dot_atom_is_refused(
    mailpit_server: MailpitServer, key: str
) -> None:
    with pytest.raises(ValueError, match="dot-atom"):
        mailer_for(mailpit_server).message_id_for(key)


def test_a_line_break_in_the_subject_or_name_adds_no_header_and_still_sends(
    mailpit_server: MailpitServer, mailbox: Mailbox
) -> None:
    mailer = mailer_for(mailpit_server)
    to = unique_recipient()
    mail = sample_mail(
        mailer, to, subject="Hi\r\nBcc: x@example.com", to_name="Ada\nBcc: y@example.com"
    )

    mailer.send(mail)

    received = mailbox.wait_for_message(to=to)
    assert received.subject == "Hi Bcc: x@example.com"
    assert received.to_names == ("Ada Bcc: y@example.com",)
    assert "Bcc" not in mailbox.headers(received.id)


def test_an_extra_header_with_a_line_break_is_a_bug_refused_before_connecting() -> None:
    mailer = mailer_for_closed_port()
    mail = sample_mail(mailer, unique_recipient(), headers={"X-Kind": "a\r\nBcc: x@y.z"})

    with pytest.raises(ValueError, match="linefeed"):
        mailer.send(mail)


def test_a_message_id_not_made_by_the_mailer_is_refused() -> None:
    mailer = mailer_for_closed_port()
    mail = sample_mail(mailer, unique_recipient(), message_id="no-brackets@example.com")

    with pytest.raises(ValueError, match="message_id must look like"):
        mailer.send(mail)


@pytest.mark.parametrize(
    "address",
    ["not-an-address", "Ada <ada@example.com>", "ada@localhost", "ada@example.com\r\nBcc: x@y.z"],
)
def test_a_recipient_address_that_cannot_be_sent_to_is_rejected_without_connecting(
    address: str,
) -> None:
    # Nothing listens on the port: reaching it would be MailUnavailable, not MailRejected.
    mailer = mailer_for_closed_port()
    with pytest.raises(MailRejected, match="recipient address is not valid"):
        mailer.send(sample_mail(mailer, address))


def mailer_for_closed_port() -> Mailer:
    return Mailer(Settings(smtp_port=free_port(), smtp_timeout_s=2.0))


def test_a_closed_smtp_port_makes_the_mail_unavailable_not_rejected() -> None:
    mailer = mailer_for_closed_port()
    with pytest.raises(MailUnavailable, match="ConnectionRefusedError") as raised:
        mailer.send(sample_mail(mailer, unique_recipient()))
    assert raised.value.code is None


def test_a_server_that_never_answers_times_out_as_unavailable() -> None:
    # The kernel completes the handshake for a listening socket; nobody ever says 220.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        mailer = Mailer(Settings(smtp_port=silent.getsockname()[1], smtp_timeout_s=0.3))
        with pytest.raises(MailUnavailable, match="timed out"):
            mailer.send(sample_mail(mailer, unique_recipient()))


@pytest.mark.parametrize(
    ("stage", "code", "expected"),
    [
        ("Recipient", 451, MailUnavailable),  # greylisting, a full mailbox: later
        ("Recipient", 452, MailUnavailable),
        ("Recipient", 550, MailRejected),  # no such mailbox: never
        ("Recipient", 553, MailRejected),
        ("Sender", 451, MailUnavailable),
        # Our own sender refused for good stops every mail, not this one: keep it, fix the setting.
        ("Sender", 550, MailUnavailable),
        ("Recipient", 530, MailUnavailable),  # "authentication required": our configuration
    ],
)
def test_smtp_answers_are_sorted_into_unavailable_or_rejected(
    chaos: Chaos, stage: str, code: int, expected: type[Exception]
) -> None:
    chaos.set(**{stage: code})
    mailer = mailer_for(chaos.server)

    with pytest.raises(expected) as raised:
        mailer.send(sample_mail(mailer, unique_recipient()))

    assert getattr(raised.value, "code", None) == code


def test_an_smtp_answer_quoted_in_an_error_has_addresses_masked(chaos: Chaos) -> None:
    chaos.set(Recipient=550)
    mailer = mailer_for(chaos.server)
    to = unique_recipient()

    with pytest.raises(MailRejected) as raised:
        mailer.send(sample_mail(mailer, to))

    assert "recipient refused: 550" in str(raised.value)
    assert to not in str(raised.value) and "@" not in str(raised.value)


def test_after_a_temporary_refusal_the_same_mail_goes_through(
    chaos: Chaos,
) -> None:
    mailer = mailer_for(chaos.server)
    to = unique_recipient()
    mail = sample_mail(mailer, to)
    chaos.set(Recipient=451)
    with pytest.raises(MailUnavailable):
        mailer.send(mail)

    chaos.set()
    mailer.send(mail)

    with Mailbox(chaos.server.url) as box:
        assert box.wait_for_message(to=to).message_id == mail.message_id.strip("<>")


def test_starttls_with_a_login_delivers(
    starttls_mailpit: MailpitServer, certificates: Certificates
) -> None:
    mailer = mailer_for(
        starttls_mailpit, smtp_security="starttls", smtp_ca_file=certificates.ca_file, **LOGIN
    )
    to = unique_recipient()

    mailer.send(sample_mail(mailer, to))

    with Mailbox(starttls_mailpit.url) as box:
        assert box.wait_for_message(to=to).subject == "You received 25.00 EUR"


def test_implicit_tls_with_a_login_delivers(
    tls_mailpit: MailpitServer, certificates: Certificates
) -> None:
    mailer = mailer_for(
        tls_mailpit, smtp_security="tls", smtp_ca_file=certificates.ca_file, **LOGIN
    )
    to = unique_recipient()

    mailer.send(sample_mail(mailer, to))

    with Mailbox(tls_mailpit.url) as box:
        assert box.wait_for_message(to=to).subject == "You received 25.00 EUR"


def test_a_certificate_we_do_not_trust_is_unavailable_not_sent(
    tls_mailpit: MailpitServer,
) -> None:
    mailer = mailer_for(tls_mailpit, smtp_security="tls", **LOGIN)  # the system's CAs only

    with pytest.raises(MailUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        mailer.send(sample_mail(mailer, unique_recipient()))


def test_a_wrong_password_is_unavailable_with_the_servers_code(
    starttls_mailpit: MailpitServer, certificates: Certificates
) -> None:
    mailer = mailer_for(
        starttls_mailpit,
        smtp_security="starttls",
        smtp_ca_file=certificates.ca_file,
        smtp_user="ledgerline",
        smtp_password=SecretStr("not the password"),
    )

    with pytest.raises(MailUnavailable, match="login refused") as raised:
        mailer.send(sample_mail(mailer, unique_recipient()))
    assert raised.value.code == 535


def test_plain_smtp_to_a_server_that_requires_starttls_is_unavailable(
    starttls_mailpit: MailpitServer,
) -> None:
    mailer = mailer_for(starttls_mailpit)

    with pytest.raises(MailUnavailable) as raised:
        mailer.send(sample_mail(mailer, unique_recipient()))
    assert raised.value.code == 530


def test_starttls_is_never_given_up_for_plain_text_when_the_server_lacks_it(
    mailpit_server: MailpitServer,
) -> None:
    mailer = mailer_for(mailpit_server, smtp_security="starttls")

    with pytest.raises(MailUnavailable, match="STARTTLS extension not supported"):
        mailer.send(sample_mail(mailer, unique_recipient()))
