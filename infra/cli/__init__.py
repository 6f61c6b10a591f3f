"""The ``ledgerline`` command line: the one entry point that wires every process together.

Each command group lives in its own module of this package; this module only mounts them.
"""

from __future__ import annotations

import typer

from infra.cli import (
    audit,
    auth,
    backup,
    db,
    dev,
    notify,
    project,
    projections,
    relay,
    serve,
    topics,
    users,
    web,
)

app = typer.Typer(
    name="ledgerline",
    help="Ledgerline: event-sourced payments backend.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(dev.app, name="dev", help="Start and stop the local servers.")
app.add_typer(db.app, name="db", help="Event store schema.")
app.add_typer(auth.app, name="auth", help="Development tokens and signing keys.")
app.add_typer(users.app, name="users", help="Users: roles.")
app.add_typer(serve.app, name="serve", help="Run the HTTP services.")
app.command("relay")(relay.relay)
app.command("notify")(notify.notify)
app.add_typer(project.app, name="project", help="Run a projector (Kafka → read models).")
app.add_typer(projections.app, name="projections", help="Rebuild, verify and inspect read models.")
app.add_typer(topics.app, name="topics", help="Kafka topics and topic generations.")
app.add_typer(audit.app, name="audit", help="Audit trail: replay streams, verify hash chains.")
app.add_typer(backup.app, name="backup", help="Backups and point-in-time recovery.")
app.add_typer(web.app, name="web", help="The web console: generated API types, build.")
