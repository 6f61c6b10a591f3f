"""docker-compose.yml and the Dockerfile stay in step with the code: they cannot run on the
development machines (no Docker engine), so this checks what can be checked without one — the
YAML parses, every LEDGERLINE_ variable is a real setting and yields valid Settings, every
Ledgerline service runs a real ``ledgerline`` command, the servers are the intended images —
and runs ``docker compose config`` where Docker happens to exist."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from infra.cli import app as cli_app
from infra.servers.elasticsearch import ELASTICSEARCH_VERSION
from infra.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
LEDGERLINE_SERVICES = {
    "migrate": ["db", "migrate"],
    "write-api": ["serve", "write"],
    "query-api": ["serve", "read"],
    "relay": ["relay"],
    "projector-mongo": ["project", "mongo"],
    "projector-search": ["project", "search"],
    "notifier": ["notify"],
}
_INTERPOLATION = re.compile(r"\$\{[^}]*\}")


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def setting_names() -> set[str]:
    """Every environment variable Settings reads."""
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias or field.alias
        names.add(alias if isinstance(alias, str) else f"LEDGERLINE_{name.upper()}")
    return names


def ledgerline_environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):  # the "KEY=value" form
        environment = dict(item.split("=", 1) for item in environment)
    return {k: str(v) for k, v in environment.items() if k.startswith("LEDGERLINE_")}


def is_cli_command(path: list[str]) -> bool:
    """``ledgerline PATH`` names a command (not a group). Groups are recognised by their
    ``commands`` mapping: typer vendors its own click, so isinstance checks would not do."""
    command: Any = typer.main.get_command(cli_app)
    for name in path:
        subcommands = getattr(command, "commands", None)
        if subcommands is None or name not in subcommands:
            return False
        command = subcommands[name]
    return getattr(command, "commands", None) is None


def test_every_ledgerline_process_is_a_service_running_its_cli_command(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, command in LEDGERLINE_SERVICES.items():
        assert services[name]["command"] == command, name
        assert services[name]["build"] == ".", name
    for name, service in services.items():
        if "build" in service:
            assert is_cli_command(service["command"]), f"{name}: {service['command']}"


_SECRET = "eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHg="


def test_every_ledgerline_variable_is_a_real_setting_and_yields_valid_settings(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    known = setting_names()
    for name in LEDGERLINE_SERVICES:
        environment = ledgerline_environment(services[name])
        assert set(environment) <= known, f"{name}: {sorted(set(environment) - known)}"
        for key, value in environment.items():
            # ${VAR:?...} is filled in by compose from the user's shell.
            # (32 bytes in base64: a valid value for every secret the compose file asks for)
            monkeypatch.setenv(key, _INTERPOLATION.sub(_SECRET, value))
        settings = Settings()
        monkeypatch.undo()
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
