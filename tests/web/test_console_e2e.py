"""The web console end to end in a real browser: ``npx playwright test`` (``web/e2e/``) in
Debian's headless Chromium, against the console's production build served by the gateway in
front of a real system (one instance of each API, the relay, both projectors and the notifier
on the session's servers, its mail going to the session's Mailpit). The browser accepts the
gateway's certificate (from the development CA) by its public key, and no other untrusted one
(see ``web/playwright.config.ts``); Node, where Playwright replays requests a test intercepts,
trusts the development CA (``NODE_EXTRA_CA_CERTS``)."""

from __future__ import annotations

import os
import shutil
import subprocess

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
# Within the suite's 300 s per test, setting up the system included, so that a stuck browser
# test ends with Playwright's report rather than pytest's thread dump.
PLAYWRIGHT_TIMEOUT_S = 240


def test_customers_and_merchants_use_the_console_in_a_browser(
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
        settings_overrides={"smtp_port": mailpit_server.port},
    ) as system:
        run = subprocess.run(
            [npx, "playwright", "test"],
            cwd=web_console.WEB_DIR,
            env=os.environ
            | {
                "E2E_BASE_URL": system.url,
                "E2E_SERVER_CERT_FILE": str(system.server.certificate_path),
                "NODE_EXTRA_CA_CERTS": str(system.ca_file),
            },
            capture_output=True,
            text=True,
            timeout=PLAYWRIGHT_TIMEOUT_S,
            check=False,
        )
    assert run.returncode == 0, f"{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
