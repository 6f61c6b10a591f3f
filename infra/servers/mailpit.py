"""Local Mailpit v1.33: an SMTP server that keeps every message it receives, with a web UI and
an HTTP API to read them, on 127.0.0.1. It stands in for the mail relay in development and tests.

Mailpit is a Go program and no registry we can reach ships its binary, so it is built from the
Go module proxy (``go install github.com/axllent/mailpit@v1.33.1``, which needs Go 1.26) into a
cache directory keyed by version, ``~/.cache/ledgerline/mailpit-<version>/mailpit``, beside the
Kafka jars, by ``infra.servers.go_programs``; ``ledgerline dev fetch`` (run by
``infra/scripts/install.sh``) builds it, and a later run finds it there and does nothing.
Measured here (2 cores, shared): 2 min 15 s to 2 min 30 s on a fresh machine (Go downloads the
modules into its module cache, then compiles everything, SQLite included, from source); about 2
s when Go's own caches are warm (another clone built it); 0 s once the binary is cached (``dev
fetch`` then takes under a second).

Messages are kept in a SQLite file under ``ROOT/mailpit`` (so a developer's mails outlive a
restart of the stack; test roots are temporary anyway). It logs errors only: the messages it
receives carry addresses and names, and the logs directory must not (the web UI shows them).
Readiness is its ``/readyz`` endpoint *and* the SMTP port accepting, because Mailpit marks itself
ready from its HTTP goroutine before the SMTP listener is necessarily bound.

Tests can also run it with TLS on the SMTP port (STARTTLS or implicit TLS, with a certificate
they made), with a login, and with its "chaos" switch (``PUT /api/v1/chaos``), which makes the
SMTP server answer chosen 4xx/5xx codes, to exercise the mailer against real failures.
"""

from __future__ import annotations

import os
import re
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from infra.servers.base import ManagedServer
from infra.servers.go_programs import MAILPIT, GoBuildError, GoProgram, ensure_program
from infra.servers.kafka import default_cache_dir
from infra.servers.process import port_accepts, spawn

MAILPIT_VERSION = MAILPIT.version
_LOGFMT_MESSAGE = re.compile(r'\bmsg="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class SmtpTls:
    """A certificate for Mailpit's SMTP port, and whether clients must use STARTTLS on a plain
    connection or speak TLS from the first byte ("tls")."""

    cert_file: Path
    key_file: Path
    mode: Literal["starttls", "tls"] = "starttls"


class MailpitServer(ManagedServer):
    """Mailpit with its SMTP server on ``port`` and its web UI and API on ``http_port``."""

    name = "mailpit"
    start_timeout_s = 30.0
    stop_timeout_s = 10.0

    def __init__(
        self,
        root: Path,
        port: int,
        http_port: int,
        *,
        cache_dir: Path | None = None,
        version: str = MAILPIT_VERSION,
        max_messages: int = 500,
        smtp_tls: SmtpTls | None = None,
        smtp_login: tuple[str, str] | None = None,
        chaos: bool = False,
    ) -> None:
        super().__init__(root, port)
        self.http_port = http_port
        self.cache_dir = cache_dir or default_cache_dir()
        self.version = version
        self.max_messages = max_messages  # the oldest beyond this are pruned; 0 keeps all
        self.smtp_tls = smtp_tls
        self.smtp_login = smtp_login
        self.chaos = chaos

    @property
    def url(self) -> str:
        """The web UI; the API is under ``/api/v1/``."""
        return f"http://{self.host}:{self.http_port}"

    @property
    def address(self) -> str:
        return self.url

    @property
    def smtp_address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def program(self) -> GoProgram:
        if self.version == MAILPIT.version:
            return MAILPIT
        return replace(
            MAILPIT,
            module_version=f"v{self.version}",
            version=self.version,
            ldflags=f"-X {MAILPIT.module}/config.Version=v{self.version}",
        )

    @property
    def install_dir(self) -> Path:
        return self.program.install_dir(self.cache_dir)

    @property
    def binary(self) -> Path:
        return self.program.binary(self.cache_dir)

    def ports(self) -> list[int]:
        return [self.port, self.http_port]

    def is_ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as response:
                if response.status != 200:
                    return False
        except OSError:
            return False
        return port_accepts(self.port, self.host)

    def ensure_binary(self) -> Path:
        """Build Mailpit into the cache unless it is already there (see the module docstring)."""
        try:
            ensure_program(self.program, self.cache_dir, log_path=self.log_path)
        except GoBuildError as exc:
            raise self._error(str(exc)) from None
        return self.binary

    def _reason_from_log(self, default: str, *, first: bool = False) -> str:
        # Mailpit's lines are logfmt: time="..." level=error msg="the reason".
        reason = super()._reason_from_log(default, first=first)
        found = _LOGFMT_MESSAGE.search(reason)
        return found.group(1).replace('\\"', '"') if found else reason

    @property
    def _database(self) -> Path:
        return self.data_dir / "mailpit.db"

    @property
    def _auth_file(self) -> Path:
        return self.data_dir / "smtp-auth"

    def _prepare(self) -> None:
        self.ensure_binary()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.smtp_login is not None:
            user, password = self.smtp_login
            # htpasswd format; Mailpit also accepts plain-text passwords.
            self._auth_file.write_text(f"{user}:{password}\n")
            self._auth_file.chmod(0o600)

    def _launch(self, deadline: float) -> int:
        argv = [
            str(self.binary),
            # The database path is also how pid() recognises our process: keep it first.
            "--database",
            str(self._database),
            "--smtp",
            self.smtp_address,
            "--listen",
            f"{self.host}:{self.http_port}",
            "--max",
            str(self.max_messages),
            # No reverse DNS of 127.0.0.1 per connection, no calls to GitHub for new releases.
            "--smtp-disable-rdns",
            "--disable-version-check",
            "--quiet",
        ]
        if self.smtp_tls is not None:
            argv += [
                "--smtp-tls-cert",
                str(self.smtp_tls.cert_file),
                "--smtp-tls-key",
                str(self.smtp_tls.key_file),
            ]
            argv.append(
                "--smtp-require-tls" if self.smtp_tls.mode == "tls" else "--smtp-require-starttls"
            )
        if self.smtp_login is not None:
            argv += ["--smtp-auth-file", str(self._auth_file)]
            if self.smtp_tls is None:
                argv.append("--smtp-auth-allow-insecure")  # a local catcher: nothing to protect
        if self.chaos:
            argv.append("--enable-chaos")
        # Mailpit reads MP_* variables as settings; a developer's own must not leak into ours.
        env = {key: value for key, value in os.environ.items() if not key.startswith("MP_")}
        self._process = spawn(argv, self.log_path, cwd=self.data_dir, env=env)
        return self._process.pid
