"""`ledgerline dev run|up|down|status|fetch|ca`: the local servers (PostgreSQL, Kafka, the
MongoDB-protocol server, Elasticsearch, Mailpit, Redis and Jaeger) and, with ``run``, every
Ledgerline process on top of them, with the gateway in front (serving the web console, built first
when its sources changed) and Prometheus scraping them all; ``fetch`` downloads what the
Maven-built servers need, builds Mailpit, Jaeger and Prometheus with Go and unpacks the gateway's
exporter, ahead of their first start, and builds the Helm chart's checkers (Helm, kubeconform and
the Kubernetes and KEDA schemas); ``ca`` makes the development CA the gateway's certificate
comes from and says how to trust it.

Thin wrappers over ``infra.devstack`` and ``infra.supervisor``. Output is one line per server
(name, address, log file); a server that cannot start is reported in one line on stderr with
exit code 1, never a traceback.
"""

from __future__ import annotations

import os
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError

from infra import devstack
from infra.logging import configure_logging
from infra.servers import PostgresServer, ServerStartError, ServerStatus, StartOutcome
from infra.servers.dev_ca import DevCA, trust_instructions
from infra.servers.process import LOCALHOST
from infra.servers.standby import start_standby, stop_waiting_for_a_standby
from infra.settings import Settings
from infra.standby_roles import STANDBY_PLACE, is_fenced, roles

app = typer.Typer(no_args_is_help=True)

OnlyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--only",
        help=(
            f"Only this server (repeatable): {', '.join(devstack.SERVER_NAMES)}"
            f" (down and status: also {', '.join(devstack.SUPERVISED_NAMES)})."
        ),
        show_default=False,
    ),
]


def _settings() -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:
        _fail(f"invalid settings: {exc.errors()[0]['msg']}")
    configure_logging(settings.log_level, settings.effective_log_format)
    return settings


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def _line(name: str, address: str, log_path: object, note: str) -> str:
    return f"{name:<17} {address:<52} log: {log_path}  ({note})"


@app.command()
def up(only: OnlyOption = None) -> None:
    """Start the local servers (all of them unless --only); reuse any already running."""
    settings = _settings()
    try:
        stack = devstack.start_stack(settings, only)
    except ServerStartError as exc:
        _fail(str(exc))
    except ValueError as exc:
        _fail(str(exc))
    for name, server in stack.servers.items():
        outcome = stack.outcomes[name]
        note = outcome.value
        if outcome is StartOutcome.STARTED:
            note = f"started in {stack.start_seconds[name]:.1f}s"
        typer.echo(_line(name, server.address, server.log_path, note))


InstancesOption = Annotated[
    int | None,
    typer.Option(
        "--instances",
        min=1,
        help="Instances of each API behind the gateway (default: LEDGERLINE_API_INSTANCES).",
        show_default=False,
    ),
]


RelaysOption = Annotated[
    int,
    typer.Option(
        "--relays",
        min=1,
        max=5,
        help="Relay replicas: one publishes, the others stand by to take over if it dies.",
    ),
]


StandbyOption = Annotated[
    bool,
    typer.Option(
        "--standby",
        help=(
            "Also run a streaming hot standby of PostgreSQL (on LEDGERLINE_STANDBY_PORT; "
            "synchronous unless LEDGERLINE_SYNCHRONOUS_STANDBY=false), for `ledgerline db "
            "failover`."
        ),
    ),
]


@app.command()
def run(
    instances: InstancesOption = None, relays: RelaysOption = 2, standby: StandbyOption = False
) -> None:
    """Start the servers, every Ledgerline process and the gateway; Ctrl-C stops all of them."""
    from event_store.errors import StoreUnavailable
    from event_store.schema import migrate
    from infra.cli.web import build_console_or_exit
    from infra.signals import stop_event_on_signals
    from infra.supervisor import Supervisor
    from projections.topics import ensure_topics

    settings = _settings()
    if standby:
        # Before anything reads database_url: it then lists both servers (infra/failover.py).
        settings = settings.model_copy(update={"standby": True})
    if settings.tracing_endpoint is None:
        # The stack's own Jaeger receives the traces unless the settings name another receiver.
        settings = settings.model_copy(
            update={"tracing_endpoint": f"http://{LOCALHOST}:{settings.jaeger_otlp_http_port}"}
        )
    try:
        supervisor = Supervisor(
            settings,
            # The processes read their settings from the environment: with the standby they
            # must build the two-host connection string too.
            {**os.environ, "LEDGERLINE_STANDBY": "true"} if standby else None,
            instances=instances or settings.api_instances,
            relays=relays,
            gateway=True,
            prometheus=True,
            archive=True,
        )
    except ValueError as exc:
        _fail(str(exc))
    if settings.console_dir is None:
        build_console_or_exit()
    up(None)
    stop = stop_event_on_signals()
    supervisor.claim()
    try:
        start_standby_or_not(settings, standby)
        migrate(settings.database_url)
        ensure_topics(
            settings.kafka_bootstrap_servers,
            {settings.kafka_topic: settings.kafka_partitions, f"{settings.kafka_topic}.dlq": 1},
        )
        supervisor.start_all()
        for child in supervisor.children:
            typer.echo(_line(child.spec.name, child.where(settings), child.log_path, "running"))
        for server in supervisor.servers:
            typer.echo(_line(server.name, server.address, server.log_path, "running"))
        gateway = supervisor.gateway
        assert gateway is not None
        typer.echo(
            f"clients use {gateway.address}; trust the development CA "
            f"({DevCA(settings.data_dir / 'tls').cert_path}): see `ledgerline dev ca`"
        )
        typer.echo("ledgerline is running; press Ctrl-C (or run `ledgerline dev down`) to stop")
        supervisor.supervise(stop)
    except (RuntimeError, StoreUnavailable, ServerStartError) as exc:
        typer.echo(f"error: {' '.join(str(exc).split())}", err=True)
        raise typer.Exit(code=1) from None
    finally:
        supervisor.stop_all()
        devstack.stop_stack(settings)
        _standby_place(settings).stop()
        typer.echo("stopped")


@app.command()
def down(only: OnlyOption = None) -> None:
    """Stop Ledgerline's processes and the local servers (data is kept)."""
    from infra.supervisor import stop_processes

    settings = _settings()
    if not only:
        for name in stop_processes(settings):
            typer.echo(f"{name:<14} stopped")
        if _standby_place(settings).stop():
            typer.echo(f"{'standby':<14} stopped")
    try:
        stopped = devstack.stop_stack(settings, only)
    except ValueError as exc:
        _fail(str(exc))
    for name, was_running in stopped.items():
        typer.echo(f"{name:<14} {'stopped' if was_running else 'was not running'}")


@app.command()
def status(only: OnlyOption = None) -> None:
    """Show which local servers are running and answering."""
    settings = _settings()
    try:
        statuses = devstack.stack_status(settings, only)
    except ValueError as exc:
        _fail(str(exc))
    for entry in statuses:
        typer.echo(_line(entry.name, entry.address, entry.log_path, _describe(entry)))
    standby = _standby_place(settings)
    if not only and (standby.data_dir / "PG_VERSION").exists():  # an earlier `dev run --standby`
        entry = standby.status()
        typer.echo(_line(entry.name, entry.address, entry.log_path, _describe(entry)))


@app.command()
def fetch() -> None:
    """Download the Kafka jars and the Elasticsearch node, build Mailpit, Jaeger, Prometheus,
    promtool, Helm and kubeconform, unpack the gateway's exporter and generate the Kubernetes
    schemas, into their caches (install.sh runs this, so that neither the first start nor
    the first test session does)."""
    settings = _settings()
    try:
        fetched = devstack.fetch_servers(settings)
    except ServerStartError as exc:
        _fail(str(exc))
    for name, where in fetched.items():
        typer.echo(f"{name:<17} {where}")


@app.command()
def ca() -> None:
    """Create the development CA (once) and say where it is and how to trust it."""
    settings = _settings()
    authority = DevCA(settings.data_dir / "tls")
    existed = authority.exists()
    authority.ensure()
    typer.echo(f"development CA: {authority.cert_path} ({'kept' if existed else 'created'})")
    typer.echo(f"its private key: {authority.key_path} (keep it to yourself)")
    typer.echo(f"the gateway ({settings.gateway_url}) presents a certificate it issued; trust it:")
    for line in trust_instructions(authority, settings.gateway_url):
        typer.echo(f"  {line}")


def _standby_place(settings: Settings) -> PostgresServer:
    """The server in ROOT/standby, primary or standby (``infra.standby_roles``): stopped and
    shown along with the stack's servers."""
    return PostgresServer(
        settings.data_dir,
        settings.standby_port,
        database=settings.postgres_database,
        name=STANDBY_PLACE,
    )


def start_standby_or_not(settings: Settings, standby: bool) -> None:
    """Start the standby (--standby), or make sure the primary waits for none. After a fail-over
    the primary is the server in ROOT/standby, which only --standby starts."""
    import psycopg

    pair = roles(settings)
    try:
        if not standby:
            if pair.swapped:
                raise RuntimeError(
                    f"since a fail-over the primary is the server in {pair.primary.data_dir}"
                    f" (port {pair.primary.port}): run with --standby"
                )
            stop_waiting_for_a_standby(pair.primary)
            return
        if pair.swapped:
            pair.primary.start()
            typer.echo(_line("primary", pair.primary.address, pair.primary.log_path, "running"))
        if is_fenced(pair.standby):
            how = "none: the fenced old primary is there; make one with `db new-standby`"
        else:
            how = start_standby(pair.standby, synchronous=settings.synchronous_standby)
    except (TimeoutError, psycopg.Error) as exc:
        raise RuntimeError(f"standby: {exc}") from None
    typer.echo(_line("standby", pair.standby.address, pair.standby.log_path, how))


def _describe(entry: ServerStatus) -> str:
    if not entry.running:
        return "not running"
    return f"pid {entry.pid}, {'answering' if entry.ready else 'NOT answering'}"
