"""``ledgerline dev ca``: the development CA is made once, its key kept private, and the
certificates it issues for the gateway name every local address and live under a year."""

from __future__ import annotations

import ipaddress
import os
import stat
import subprocess
import sys
from pathlib import Path

from cryptography import x509

from infra.servers.dev_ca import DevCA
from tests.server_fixtures import temporary_root

REPO = Path(__file__).resolve().parents[2]


def _dev_ca(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", "dev", "ca"],
        cwd=REPO,
        env={**os.environ, "LEDGERLINE_DATA_DIR": str(data_dir), "LEDGERLINE_LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_dev_ca_creates_the_authority_once_and_says_how_to_trust_it() -> None:
    with temporary_root() as root:
        first = _dev_ca(root)
        assert first.returncode == 0, first.stderr
        ca = DevCA(root / "tls")
        assert f"{ca.cert_path} (created)" in first.stdout
        assert f"--cacert {ca.cert_path}" in first.stdout
        assert "update-ca-certificates" in first.stdout and "SSL_CERT_FILE" in first.stdout
        assert stat.S_IMODE(ca.key_path.stat().st_mode) == 0o600
        pem = ca.cert_path.read_bytes()

        again = _dev_ca(root)
        assert again.returncode == 0, again.stderr
        assert f"{ca.cert_path} (kept)" in again.stdout
        assert ca.cert_path.read_bytes() == pem


def test_the_gateway_certificate_names_every_local_address_and_is_short_lived() -> None:
    with temporary_root() as root:
        issued = DevCA(root / "tls").issue_server_certificate()
        assert stat.S_IMODE(issued.key_path.stat().st_mode) == 0o600
        leaf = x509.load_pem_x509_certificates(issued.chain_path.read_bytes())[0]
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert set(names.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert lifetime.days <= 398  # what browsers accept for a server certificate
