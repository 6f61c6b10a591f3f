"""`ledgerline web contract|build`: the web console's inputs and its build.

``contract`` writes what the console's generated code is made from (``npm run gen:api`` calls
it): both APIs' OpenAPI documents, built in-process from the app factories (no server needed),
and the currencies the domain accepts with their minor-unit exponents. ``build`` makes the
production build the gateway serves, unless the sources are unchanged since the last one.

With ``infra.cli.serve``, the only module that imports ``write_api`` and ``read_api``, and only
inside its command.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from domain.money import ISO_4217, minor_unit_exponent
from infra import web_console
from infra.settings import Settings

app = typer.Typer(no_args_is_help=True)

WRITE_API_DOCUMENT = "write-api.openapi.json"
READ_API_DOCUMENT = "read-api.openapi.json"
CURRENCIES_DOCUMENT = "currencies.json"


def _write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


@app.command()
def contract(
    out_dir: Annotated[Path, typer.Argument(help="Directory to write the documents into.")],
) -> None:
    """Write both APIs' OpenAPI documents and the currency table as JSON into OUT_DIR."""
    from read_api.app import create_app as create_read_app
    from write_api.app import create_app as create_write_app

    settings = Settings()
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_json(out_dir / WRITE_API_DOCUMENT, create_write_app(settings).openapi())
    _write_json(out_dir / READ_API_DOCUMENT, create_read_app(settings).openapi())
    _write_json(
        out_dir / CURRENCIES_DOCUMENT,
        {code: minor_unit_exponent(code) for code in sorted(ISO_4217)},
    )
    for name in (WRITE_API_DOCUMENT, READ_API_DOCUMENT, CURRENCIES_DOCUMENT):
        typer.echo(out_dir / name)


@app.command()
def build() -> None:
    """Build the web console (npm run build in web/) unless it is up to date."""
    build_console_or_exit()


def build_console_or_exit() -> None:
    """Build the console if its sources changed, saying which; exit 1 with npm's complaint if
    the build fails (``dev run`` builds before it serves)."""
    began = time.monotonic()
    try:
        built = web_console.build_console()
    except web_console.ConsoleBuildError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None
    outcome = f"built in {time.monotonic() - began:.1f}s" if built else "up to date"
    typer.echo(f"web console {outcome}: {web_console.build_dir()}")
