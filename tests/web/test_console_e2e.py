"""The web console end to end in a real browser: ``npx playwright test`` (``web/e2e/``) in
Debian's headless Chromium, against the console's production build served by the gateway in
front of a real system (one instance of each API, the relay, both projectors and the notifier,
which mails through the session's Mailpit). The browser accepts the gateway's certificate (from
the development CA) by its public key, and no other untrusted one (see
``web/playwright.config.ts``).

The specs get, through their environment:

- ``E2E_BASE_URL`` and ``E2E_SERVER_CERT_FILE``: the gateway and its certificate;
  ``NODE_EXTRA_CA_CERTS``: the development CA, so the specs' own API calls (Playwright's
  ``request``, outside the browser, and requests a test intercepts and replays) trust the
  gateway too;
- ``E2E_MAILPIT_URL``: Mailpit's HTTP API, where the specs read the mail the notifier sent;
- ``E2E_LEDGERLINE_CLI`` (JSON: ``argv``, this interpreter with ``-m infra.cli``, and ``cwd``,
  the repository) and the system's ``LEDGERLINE_*`` settings: how a spec makes a staff member,
  with ``ledgerline users grant-role`` against the system's event store, as an administrator
  would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from infra import web_console
from infra.servers import (
    ElasticsearchServer,
    KafkaServer,
    MailpitServer,
    MongoServer,
    PostgresServer,
    RedisServer,
)
from tests.gateway.conftest import system_behind_gateway

PROCESSES = (
    "write-api",
    "read-api",
    "relay",
    "projector-mongo",
    "projector-search",
    "notifier",
)
# Within this test's own pytest limit (TEST_TIMEOUT_S, setting up the system included), so that a
# stuck browser test ends with Playwright's report rather than pytest's thread dump.
PLAYWRIGHT_TIMEOUT_S = 480
TEST_TIMEOUT_S = 600


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_customers_merchants_and_staff_use_the_console_in_a_browser(
    postgres_server: PostgresServer,
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    elasticsearch_server: ElasticsearchServer,
    redis_server: RedisServer,
    mailpit_server: MailpitServer,
) -> None:
    npx = shutil.which("npx")
    assert npx is not None, "Node and npm are needed (infra/scripts/install.sh)"
    web_console.build_console()
    with system_behind_gateway(
        postgres_server,
        kafka_server,
        mongo_server,
        elasticsearch_server,
        redis_server,
        console_dir=web_console.build_dir(),
        instances=1,
        processes=PROCESSES,
        smtp_port=mailpit_server.port,
    ) as system:
        run = subprocess.run(
            [npx, "playwright", "test"],
            cwd=web_console.WEB_DIR,
            env=os.environ
            | system.settings.process_environment()
            | {
                "E2E_BASE_URL": system.url,
                "E2E_SERVER_CERT_FILE": str(system.server.certificate_path),
                "NODE_EXTRA_CA_CERTS": str(system.ca_file),
                "E2E_MAILPIT_URL": mailpit_server.url,
                "E2E_LEDGERLINE_CLI": json.dumps(
                    {
                        "argv": [sys.executable, "-m", "infra.cli"],
                        "cwd": str(web_console.WEB_DIR.parent),
                    }
                ),
            },
            capture_output=True,
            text=True,
            timeout=PLAYWRIGHT_TIMEOUT_S,
            check=False,
        )
    assert run.returncode == 0, f"{run.stdout[-8000:]}\n{run.stderr[-3000:]}"
