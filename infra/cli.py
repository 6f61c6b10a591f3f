"""The ``ledgerline`` command line: the one entry point that wires every process together.

Each command group lives in its own ``infra/cli_*.py`` module; this module only mounts them.
"""

from __future__ import annotations

import typer

from infra import (
    cli_audit,
    cli_auth,
    cli_db,
    cli_dev,
    cli_project,
    cli_projections,
    cli_relay,
    cli_serve,
    cli_topics,
)

app = typer.Typer(
    name="ledgerline",
    help="Ledgerline: event-sourced payments backend.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(cli_dev.app, name="dev", help="Start and stop the local servers.")
app.add_typer(cli_db.app, name="db", help="Event store schema.")
app.add_typer(cli_auth.app, name="auth", help="Development tokens.")
app.add_typer(cli_serve.app, name="serve", help="Run the HTTP services.")
app.command("relay")(cli_relay.relay)
app.add_typer(cli_project.app, name="project", help="Run a projector (Kafka → read models).")
app.add_typer(
    cli_projections.app, name="projections", help="Rebuild, verify and inspect read models."
)
app.add_typer(cli_topics.app, name="topics", help="Kafka topics and topic generations.")
app.add_typer(cli_audit.app, name="audit", help="Audit trail: replay streams, verify hash chains.")

if __name__ == "__main__":
    app()
