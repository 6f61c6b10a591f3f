"""The web console end to end in a real browser: ``npx playwright test`` (``web/e2e/``) in
Debian's headless Chromium, against the console's production build served by the gateway in
front of a real system (one instance of each API, the relay and the Mongo projector on the
session's servers). The browser accepts the gateway's certificate (from the development CA) by
its public key, and no other untrusted one (see ``web/playwright.config.ts``)."""

from __future__ import annotations

import os
import shutil
import subprocess

from infra import web_console
from infra.servers import (
    ElasticsearchServer,
    KafkaServer,
    MongoServer,
    PostgresServer,
    RedisServer,
)
from tests.gateway.conftest import system_behind_gateway

PROCESSES = ("write-api", "read-api", "relay", "projector-mongo")
PLAYWRIGHT_TIMEOUT_S = 300


def test_a_customer_signs_up_logs_in_opens_an_account_and_deposits_in_a_browser(
    postgres_server: PostgresServer,
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    elasticsearch_server: ElasticsearchServer,
    redis_server: RedisServer,
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
    ) as system:
        run = subprocess.run(
            [npx, "playwright", "test"],
            cwd=web_console.WEB_DIR,
            env=os.environ
            | {
                "E2E_BASE_URL": system.url,
                "E2E_SERVER_CERT_FILE": str(system.server.certificate_path),
            },
            capture_output=True,
            text=True,
            timeout=PLAYWRIGHT_TIMEOUT_S,
            check=False,
        )
    assert run.returncode == 0, f"{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
