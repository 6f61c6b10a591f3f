"""docker-compose.yml and the Dockerfile stay in step with the code: they cannot run on the
development machines (no Docker engine), so this checks what can be checked without one — the
YAML parses, every LEDGERLINE_ variable (the Dockerfile's too) is a real setting and yields valid
Settings, every Ledgerline service runs a real ``ledgerline`` command as the chart's pods do
(non-root, read-only), the servers are the intended images. tests/test_helm_chart.py checks that
the compose file and the chart run the same processes with the same settings."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from infra.servers.elasticsearch import ELASTICSEARCH_VERSION
from tests.deployment_files import (
    COMPOSE_FILE,
    DOCKERFILE,
    LEDGERLINE_PROCESSES,
    MIGRATION_COMMAND,
    is_cli_command,
    setting_names,
    settings_from,
)

LEDGERLINE_SERVICES = {"migrate": MIGRATION_COMMAND, **LEDGERLINE_PROCESSES}


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def ledgerline_environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):  # the "KEY=value" form
        environment = dict(item.split("=", 1) for item in environment)
    return {k: str(v) for k, v in environment.items() if k.startswith("LEDGERLINE_")}


def test_every_ledgerline_process_is_a_service_running_its_cli_command(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, command in LEDGERLINE_SERVICES.items():
        assert services[name]["command"] == command, name
        assert services[name]["build"] == ".", name
    for name, service in services.items():
        if "build" in service:
            assert is_cli_command(service["command"]), f"{name}: {service['command']}"


def test_every_ledgerline_variable_is_a_real_setting_and_yields_valid_settings(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in LEDGERLINE_SERVICES:
        settings = settings_from(ledgerline_environment(services[name]), monkeypatch)
        assert settings.env == "production"
        assert settings.bind_host == "0.0.0.0"
        assert settings.database_url.startswith("postgresql://")
        assert settings.kafka_bootstrap_servers == "kafka:9092"
        assert settings.mongo_url.startswith("mongodb://mongo")
        assert settings.elasticsearch_url == "http://elasticsearch:9200"
        assert settings.redis_url == "redis://redis:6379/0"


def test_the_servers_are_the_real_images_configured_for_one_local_node(
    services: dict[str, dict[str, Any]],
) -> None:
    postgres = re.fullmatch(r"postgres:(\d+)", services["postgres"]["image"])
    assert postgres and int(postgres.group(1)) >= 16
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert "controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]  # KRaft
    assert "zookeeper" not in services
    assert services["mongo"]["image"] == "mongo:7"
    assert services["redis"]["image"] == "redis:7"
    elasticsearch = services["elasticsearch"]
    # The version the tests run locally (infra/servers/elasticsearch.py).
    assert elasticsearch["image"] == (
        f"docker.elastic.co/elasticsearch/elasticsearch:{ELASTICSEARCH_VERSION}"
    )
    assert elasticsearch["environment"]["discovery.type"] == "single-node"
    assert elasticsearch["environment"]["xpack.security.enabled"] == "false"


def test_the_dockerfile_installs_the_project_and_runs_the_cli() -> None:
    dockerfile = DOCKERFILE.read_text()

    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.MULTILINE)
    assert re.search(r"^RUN pip install \.", dockerfile, re.MULTILINE)
    assert 'ENTRYPOINT ["ledgerline"]' in dockerfile
    for package in ("domain", "commands", "event_store", "projections", "read_api", "infra"):
        assert f"COPY {package} ./{package}" in dockerfile


def test_every_variable_the_dockerfile_sets_is_a_real_setting() -> None:
    variables = set(re.findall(r"\b(LEDGERLINE_[A-Z0-9_]+)=", DOCKERFILE.read_text()))

    assert variables == {"LEDGERLINE_ENV", "LEDGERLINE_BIND_HOST"}
    assert variables <= setting_names()


def test_ledgerline_containers_run_as_the_charts_pods_do(
    services: dict[str, dict[str, Any]],
) -> None:
    user = re.search(r"^USER (\d+):(\d+)$", DOCKERFILE.read_text(), re.MULTILINE)
    assert user is not None and int(user.group(1)) != 0
    for name in LEDGERLINE_SERVICES:
        service = services[name]
        assert service["user"] == f"{user.group(1)}:{user.group(2)}", name
        assert service["read_only"] is True, name
        assert service["tmpfs"] == ["/tmp"], name
        assert service["cap_drop"] == ["ALL"], name
