"""``python -m infra.cli``: how the supervisor starts Ledgerline's own processes."""

from infra.cli import app

app()
