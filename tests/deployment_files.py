"""What the deployment files (docker-compose.yml, the Dockerfile, the Helm chart) are checked
against: the settings the code reads and the commands its CLI has. Shared by
tests/test_compose_files.py and tests/test_helm_chart.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from infra.cli import app as cli_app
from infra.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
# Every Ledgerline process, by its name in the compose file and in the chart, and its command.
LEDGERLINE_PROCESSES = {
    "write-api": ["serve", "write"],
    "query-api": ["serve", "read"],
    "relay": ["relay"],
    "projector-mongo": ["project", "mongo"],
    "projector-search": ["project", "search"],
    "notifier": ["notify"],
}
MIGRATION_COMMAND = ["db", "migrate"]
# 32 bytes in base64: a valid value for every secret the files leave to their user.
PLACEHOLDER_SECRET = "eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHg="
_INTERPOLATION = re.compile(r"\$\{[^}]*\}")


def setting_names() -> set[str]:
    """Every environment variable Settings reads."""
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias or field.alias
        names.add(alias if isinstance(alias, str) else f"LEDGERLINE_{name.upper()}")
    return names


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


def settings_from(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The Settings a process with exactly these LEDGERLINE_ variables gets (after checking
    that each is a real setting); compose's ``${VAR:?…}`` stand for a placeholder secret."""
    unknown = set(environment) - setting_names()
    assert not unknown, f"not settings: {sorted(unknown)}"
    with monkeypatch.context() as patch:
        for key in setting_names():
            patch.delenv(key, raising=False)
        for key, value in environment.items():
            patch.setenv(key, _INTERPOLATION.sub(PLACEHOLDER_SECRET, value))
        return Settings()
