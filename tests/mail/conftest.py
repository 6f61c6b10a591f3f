"""Private Mailpits for the mail tests that need one configured differently from the session's:
TLS (with a certificate authority made here), a login, or chaos (SMTP answers on demand)."""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from infra.mail import Mailer, OutgoingMail, render
from infra.servers import MailpitServer, free_ports
from infra.servers.mailpit import SmtpTls
from infra.settings import Settings
from tests.server_fixtures import running, temporary_root


@dataclass(frozen=True)
class Certificates:
    ca_file: Path  # what the mailer trusts
    cert_file: Path  # what Mailpit presents: for 127.0.0.1 and localhost, signed by the CA
    key_file: Path


@pytest.fixture(scope="session")
def certificates() -> Iterator[Certificates]:
    with temporary_root() as root:
        yield make_certificates(root)


def make_certificates(directory: Path) -> Certificates:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ledgerline test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = Certificates(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    files.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@contextmanager
def private_mailpit(**options: Any) -> Iterator[MailpitServer]:
    """A Mailpit of the test's own, in its own temporary root, stopped afterwards."""
    with (
        temporary_root() as root,
        running(MailpitServer(root, *free_ports(2), **options)) as server,
    ):
        yield server


@pytest.fixture(scope="module")
def chaos_mailpit() -> Iterator[MailpitServer]:
    with private_mailpit(chaos=True) as server:
        yield server


@pytest.fixture
def chaos(chaos_mailpit: MailpitServer) -> Iterator[Chaos]:
    switch = Chaos(chaos_mailpit)
    try:
        yield switch
    finally:
        switch.set()  # everything back to normal for the next test


class Chaos:
    """Mailpit's chaos switch: the SMTP server answers ``code`` at a stage, every time."""

    def __init__(self, server: MailpitServer) -> None:
        self.server = server

    def set(self, **codes: int) -> None:
        """``set(Recipient=550)``; stages Sender, Recipient, Authentication; none = off."""
        triggers = {
            stage: {"ErrorCode": codes.get(stage, 451), "Probability": 100 if stage in codes else 0}
            for stage in ("Sender", "Recipient", "Authentication")
        }
        response = httpx.put(f"{self.server.url}/api/v1/chaos", json=triggers, timeout=5)
        response.raise_for_status()


def mailer_for(server: MailpitServer, **settings: Any) -> Mailer:
    """A mailer sending to ``server``'s SMTP port (plain unless ``settings`` say otherwise)."""
    return Mailer(Settings(smtp_host="127.0.0.1", smtp_port=server.port, **settings))


def sample_mail(mailer: Mailer, to: str, *, language: str = "en", **changes: Any) -> OutgoingMail:
    """A money_received mail to ``to`` with a fresh Message-ID; ``changes`` replace fields."""
    rendered = render(
        "money_received",
        language,
        {
            "amount": "25.00 EUR",
            "account_id": "acc-7f3a",
            "reference": "salary",
            "preferences_link": "https://app.ledgerline.example/settings",
        },
    )
    mail = OutgoingMail(
        to=to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=mailer.message_id_for(f"notification.{uuid.uuid4().hex}"),
    )
    return dataclasses.replace(mail, **changes)


def unique_recipient() -> str:
    return f"reader-{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture
def starttls_mailpit(certificates: Certificates) -> Iterator[MailpitServer]:
    tls = SmtpTls(certificates.cert_file, certificates.key_file, mode="starttls")
    with private_mailpit(smtp_tls=tls, smtp_login=("ledgerline", "a-relay-password")) as server:
        yield server


@pytest.fixture
def tls_mailpit(certificates: Certificates) -> Iterator[MailpitServer]:
    tls = SmtpTls(certificates.cert_file, certificates.key_file, mode="tls")
    with private_mailpit(smtp_tls=tls, smtp_login=("ledgerline", "a-relay-password")) as server:
        yield server
