"""`ledgerline users grant-role|revoke-role EMAIL ROLE`: role changes for an operator with
access to the event store (the same commands as the admin endpoints, recorded on the user's
stream with the CLI as their cause). Staff roles reach a user's tokens once they have a second
factor."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from infra.cli.failures import fail
from infra.settings import Settings

app = typer.Typer(no_args_is_help=True, help="Users: roles.")

Email = Annotated[str, typer.Argument(help="The user's e-mail address.")]
Role = Annotated[str, typer.Argument(help="customer, operator, auditor or admin.")]


def _change_role(email: str, role: str, grant: bool) -> None:
    from commands.context import CommandContext, Principal
    from commands.errors import CommandError
    from commands.handlers import EMAIL_CLAIM, email_claim_value
    from commands.messages import GrantRole, RevokeRole
    from domain.errors import DomainError
    from domain.profile import normalize_email
    from event_store.errors import StoreUnavailable
    from infra.bootstrap import build_write_side, open_event_store_pool

    settings = Settings()
    try:
        normalized = normalize_email(email)
    except DomainError as error:
        fail(str(error), 2)
    try:
        pool = open_event_store_pool(settings)
    except Exception as error:
        fail(f"cannot reach PostgreSQL at {settings.database_url}: {type(error).__name__}")
    try:
        side = build_write_side(settings, pool)
        user_id = side.store.claim_owner(EMAIL_CLAIM, email_claim_value(normalized))
        if user_id is None:
            fail("no user has this e-mail address")
        ctx = CommandContext(
            principal=Principal(user_id=None, roles=frozenset({"admin"})),
            correlation_id=f"cli-{uuid.uuid4()}",
            causation_id=str(uuid.uuid4()),
        )
        command = GrantRole(user_id, role) if grant else RevokeRole(user_id, role)
        result = side.bus.execute(command, ctx)
    except (DomainError, CommandError) as error:
        fail(str(error))
    except StoreUnavailable as error:
        fail(f"PostgreSQL: {error}")
    finally:
        pool.close()
    verb = "granted to" if grant else "revoked from"
    typer.echo(f"role {role} {verb} user {user_id} (version {result.version})")


@app.command("grant-role")
def grant_role(email: Email, role: Role) -> None:
    """Grant a role to the user with this e-mail address."""
    _change_role(email, role, grant=True)


@app.command("revoke-role")
def revoke_role(email: Email, role: Role) -> None:
    """Revoke a role from the user with this e-mail address."""
    _change_role(email, role, grant=False)
