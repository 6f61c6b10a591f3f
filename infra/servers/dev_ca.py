"""The local development certificate authority: made once with ``trustme`` under
``DATA_DIR/tls/`` and used to issue the gateway's certificate for localhost, 127.0.0.1 and ::1.

``ca.pem`` is the certificate a developer trusts (``ledgerline dev ca`` says how); ``ca-key.pem``
is its private key, readable by its owner only: whoever holds it can mint certificates this
machine's browsers would then accept for any name. The CA is kept across runs (trusting it again
after every start would be a chore); a server certificate is short-lived and issued afresh
whenever the gateway starts, so a CA created elsewhere or a changed host list never leaves a stale
one behind.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

import trustme

SERVER_NAMES = ("localhost", "127.0.0.1", "::1")
# Browsers refuse server certificates valid for longer than 398 days.
SERVER_CERT_LIFETIME = datetime.timedelta(days=397)
_ORGANIZATION = "Ledgerline development CA"


@dataclass(frozen=True)
class ServerCertificate:
    """A PEM chain (server certificate first) and its private key, as files."""

    chain_path: Path
    key_path: Path


class DevCA:
    """The CA in ``directory`` (created on first use)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.absolute()

    @property
    def cert_path(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def key_path(self) -> Path:
        return self.directory / "ca-key.pem"

    def exists(self) -> bool:
        return self.cert_path.is_file() and self.key_path.is_file()

    def ensure(self) -> trustme.CA:
        """Load the CA, creating it first if there is none yet."""
        if self.exists():
            return trustme.CA.from_pem(self.cert_path.read_bytes(), self.key_path.read_bytes())
        ca = trustme.CA(organization_name=_ORGANIZATION)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        _write_private(self.key_path, ca.private_key_pem.bytes())
        # The certificate last: its presence is what says the CA is complete.
        self.cert_path.write_bytes(ca.cert_pem.bytes())
        return ca

    def issue_server_certificate(self, name: str = "gateway") -> ServerCertificate:
        """A fresh certificate for SERVER_NAMES, as ``<name>.pem`` and ``<name>-key.pem``."""
        now = datetime.datetime.now(datetime.UTC)
        leaf = self.ensure().issue_cert(
            *SERVER_NAMES,
            organization_name=_ORGANIZATION,
            not_before=now - datetime.timedelta(minutes=5),  # tolerate a little clock skew
            not_after=now + SERVER_CERT_LIFETIME,
        )
        certificate = ServerCertificate(
            self.directory / f"{name}.pem", self.directory / f"{name}-key.pem"
        )
        _write_private(certificate.key_path, leaf.private_key_pem.bytes())
        certificate.chain_path.write_bytes(b"".join(pem.bytes() for pem in leaf.cert_chain_pems))
        return certificate


def _write_private(path: Path, content: bytes) -> None:
    """Write ``content`` to a file that is never readable by others, not even for a moment."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)


def trust_instructions(ca: DevCA, gateway_url: str) -> list[str]:
    """How to make clients trust the CA, one line each."""
    pem = ca.cert_path
    return [
        f"curl:     curl --cacert {pem} {gateway_url}/health/ready",
        f"Python:   export SSL_CERT_FILE={pem} REQUESTS_CA_BUNDLE={pem}",
        f"Debian:   sudo cp {pem} /usr/local/share/ca-certificates/ledgerline-dev.crt "
        "&& sudo update-ca-certificates",
        "browsers: import it as an authority (Chromium: Settings > Privacy and security > "
        "Security > Manage certificates > Authorities; Firefox: Settings > Certificates > "
        "View Certificates > Authorities > Import)",
    ]
