"""`ledgerline projections rebuild|status|verify`: the operator's read-model commands.

- ``rebuild [mongo|search|all] [--batch-size N] [--keep-old] [--dry-run]``: blue/green rebuild
  from the event store (``projections.rebuild``), with a progress bar (events done / total,
  events/s, ETA). ``--offline`` instead drops the live read models and builds in place
  (``projections.rebuild.offline``, what a restore does): faster, but readers see nothing or a
  partial model until it ends, so it is refused while any Ledgerline process runs (pid files
  under the data directory, as ``backup restore`` checks) and with ``--keep-old``;
- ``status [--json]``: relay and projector positions, backlog, age and per-partition lag
  (``projections.status``);
- ``verify [mongo|search|all] [--settle S]``: compare the live read models with a scratch
  rebuild (``projections.rebuild.verify``); exit 1 if they differ.

Failures (a server that does not answer, another rebuild running, an unknown target) are one
line on stderr and a non-zero exit (1; 2 for usage errors; 130 when interrupted), never a
traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator, Sequence
from typing import Annotated, Any

import structlog
import typer
from rich.console import Console
from rich.table import Table

from infra.cli.failures import (
    fail,
    failures_as_one_line,
    operator_settings,
    sigterm_interrupts,
)
from infra.cli.progress import ProgressObserver
from infra.settings import Settings

log = structlog.get_logger(__name__)

app = typer.Typer(
    no_args_is_help=True,
    help="Rebuild, verify and inspect the read models.",
    pretty_exceptions_enable=False,
)

TARGETS = ("mongo", "search", "all")

TargetArgument = Annotated[
    str, typer.Argument(help="Which read model: mongo, search or all.", show_default=True)
]
BatchOption = Annotated[
    int, typer.Option("--batch-size", min=1, max=100_000, help="Events read per batch.")
]


# -- rebuild ----------------------------------------------------------------------------------


@app.command()
def rebuild(
    target: TargetArgument = "all",
    batch_size: BatchOption = 2000,
    keep_old: Annotated[
        bool,
        typer.Option(
            "--keep-old",
            help="Keep the replaced generation (Mongo: <name>_old_g<ms> collections; "
            "Elasticsearch: indices behind the <prefix>-<kind>-kept alias).",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would happen; change nothing.")
    ] = False,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            help="Serve /metrics (ledgerline_rebuild_progress_ratio) on this port while running.",
        ),
    ] = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Drop the live read models and build in place (no generations, no swap): "
            "only while every Ledgerline process is stopped; refused otherwise.",
        ),
    ] = False,
) -> None:
    """Rebuild read models from the event store into a fresh generation and swap it in."""
    from projections.rebuild.offline import rebuild_offline
    from projections.rebuild.run import RebuildOptions, plan_rebuild
    from projections.rebuild.run import rebuild as run_rebuild

    kinds = _kinds(target)
    if offline and keep_old:
        fail("--offline replaces the live read models in place: it cannot --keep-old them", 2)
    settings = operator_settings()
    if offline:
        _refuse_offline_while_running(settings)
    options = RebuildOptions(batch_size=batch_size, keep_old=keep_old)
    console = Console(highlight=False)
    with (
        failures_as_one_line(settings),
        sigterm_interrupts(),
        _resources(settings, kinds) as (store, targets),
    ):
        if dry_run and offline:
            _print_offline_plan(console, targets)
            return
        if dry_run:
            _print_plan(console, plan_rebuild(store, targets, options))
            return
        if offline:
            with ProgressObserver(console, "rebuild", target) as observer:
                try:
                    report = rebuild_offline(store, targets, options, observer)
                except KeyboardInterrupt:
                    fail(
                        "interrupted: the read models are partly built; run the rebuild again", 130
                    )
            console.print(
                f"Rebuilt {', '.join(kinds)} offline from {report.events:,} events in "
                f"{report.seconds:.1f} s ({report.events_per_second:,.0f} events/s)."
            )
            for done in report.targets:
                console.print(
                    f"{done.kind}: rebuilt in place ({', '.join(done.live)}); dropped before: "
                    f"{', '.join(done.dropped) or 'nothing'}."
                )
            return
        with contextlib.ExitStack() as scraped:
            if metrics_port is not None:
                from infra.metric_families import REBUILD, process_registry
                from infra.process_http import ProcessEndpoint
                from infra.servers.scrape_files import registered_target

                endpoint = ProcessEndpoint(
                    settings.bind_host, metrics_port, lambda: None, process_registry(REBUILD)
                ).start()
                scraped.callback(endpoint.close)
                # The local Prometheus scrapes it while it runs (see scrape_files).
                address = f"{settings.bind_host}:{endpoint.port}"
                scraped.enter_context(
                    registered_target(settings.data_dir, "rebuild", f"rebuild-{target}", address)
                )
            with ProgressObserver(console, "rebuild", target) as observer:
                report = run_rebuild(store, targets, options, observer)
        console.print(
            f"Rebuilt {', '.join(kinds)} from {report.events:,} events in "
            f"{report.seconds:.1f} s ({report.events_per_second:,.0f} events/s); "
            f"{report.tail_events:,} events arrived during the rebuild and were projected after "
            "the swap."
        )
        for recovered in report.recovered:
            console.print(f"Finished the swap of an interrupted earlier rebuild: {recovered}.")
        if report.leftovers_dropped:
            console.print(
                f"Dropped leftovers of interrupted runs: {', '.join(report.leftovers_dropped)}."
            )
        for done in report.targets:
            if done.kept:
                old = f"old generations kept: {', '.join(done.kept)}"
            elif done.dropped:
                old = f"old generation dropped: {', '.join(done.dropped)}"
            elif done.kind == "mongo":
                old = "the renames dropped the old collections"
            else:
                old = "there was no earlier generation to drop"
            console.print(
                f"{done.kind}: generation {done.generation} is live "
                f"({', '.join(done.live)}); {old}."
            )
            if done.rejected:
                console.print(
                    f"{done.kind}: {done.rejected} events could not be projected (logged), as "
                    "the live projector would have dead-lettered them."
                )


def _refuse_offline_while_running(settings: Settings) -> None:
    from infra.servers.process import running_ledgerline_processes

    running = running_ledgerline_processes(settings.data_dir)
    if running:
        fail(
            f"Ledgerline processes are running ({', '.join(running)}): stop them before an "
            "offline rebuild, or rebuild without --offline (blue/green, safe while they run)"
        )


def _print_offline_plan(console: Console, targets: Sequence[Any]) -> None:
    console.print("Dry run: nothing was changed.")
    for target in targets:
        console.print(
            f"{target.kind}: drop {', '.join(target.live_names())} and leftovers of interrupted "
            "runs, forget unfinished swaps, rebuild into the live names, then index them"
        )


def _print_plan(console: Console, plan: Any) -> None:
    head = plan.head
    console.print("Dry run: nothing was changed.")
    position = "empty store" if head.position is None else f"head position {head.position:,}"
    which = (
        "events"
        if plan.stream_types is None
        else (f"events of {', '.join(sorted(plan.stream_types))} streams (the only ones projected)")
    )
    console.print(
        f"Source: {head.events:,} {which} in the event store ({position}), read in commit "
        f"order in batches of {plan.batch_size:,}."
    )
    for target in plan.targets:
        console.print(f"{target.kind}:")
        for pending in target.pending:
            console.print(f"  first: {pending} (an earlier rebuild stopped after its swap)")
        leftovers = ", ".join(target.leftovers) or "none"
        console.print(f"  drop leftovers of interrupted runs: {leftovers}")
        console.print(f"  build generation {target.generation}: {', '.join(target.create)}")
        console.print("  catch up to the head of the event store, then swap:")
        for step in target.swap:
            console.print(f"    {step}")
        console.print("  then project the events that arrived meanwhile into the live names")
        console.print(f"  then drop: {target.drop_after}")
        if target.kept:
            console.print(f"  kept old generations (left alone): {', '.join(target.kept)}")


# -- verify -----------------------------------------------------------------------------------


@app.command()
def verify(
    target: TargetArgument = "all",
    batch_size: BatchOption = 2000,
    settle: Annotated[
        float,
        typer.Option(
            "--settle",
            min=0.0,
            help="Seconds to wait for documents the live projector has not written yet.",
        ),
    ] = 10.0,
) -> None:
    """Rebuild into a scratch generation and compare it with the live read models."""
    from projections.rebuild.verify import VerifyOptions
    from projections.rebuild.verify import verify as run_verify

    kinds = _kinds(target)
    settings = operator_settings()
    console = Console(highlight=False)
    with (
        failures_as_one_line(settings),
        sigterm_interrupts(),
        _resources(settings, kinds) as (store, targets),
    ):
        options = VerifyOptions(batch_size=batch_size, settle_s=settle)
        with ProgressObserver(console, "verify") as observer:
            report = run_verify(store, targets, options, observer)
        for pending in report.pending_swaps:
            console.print(
                f"warning: a rebuild of {pending} stopped after its swap; run "
                "`ledgerline projections rebuild` to finish it."
            )
        compared = sum(report.compared.values())
        if report.ok:
            console.print(
                f"OK: {compared:,} documents of {', '.join(kinds)} match a fresh fold of "
                f"{report.events:,} events ({report.seconds:.1f} s)."
            )
            return
        table = Table(title=f"{len(report.differences)} differences")
        for column in ("collection", "id", "field", "live", "rebuilt"):
            table.add_column(column, overflow="fold", no_wrap=column == "id")
        for difference in report.differences:
            table.add_row(
                f"{difference.target}.{difference.collection}",
                difference.id,
                difference.field,
                _shown(difference.live),
                _shown(difference.rebuilt),
            )
        console.print(table)
        console.print(
            f"FAILED: {len(report.differences)} differences in {compared:,} documents "
            f"({report.events:,} events)."
        )
    raise typer.Exit(1)


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


# -- status -----------------------------------------------------------------------------------


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Relay and projector positions, backlog and age, consumer-group lag per partition."""
    from projections.status import StatusSources, pipeline_status

    settings = operator_settings()
    console = Console(highlight=False)
    with failures_as_one_line(settings):
        current = pipeline_status(StatusSources.from_settings(settings))
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(current), indent=2))
        return
    head = "empty" if current.head_position is None else f"position {current.head_position:,}"
    console.print(f"Event store head: {head} (last event {current.head_recorded_at or '-'})")
    table = Table()
    for column, justify in (
        ("consumer", "left"),
        ("position", "right"),
        ("behind", "right"),
        ("oldest unprocessed", "right"),
        ("lag per partition", "left"),
        ("dead letters", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for consumer in current.consumers:
        name = (
            consumer.name if consumer.group_id is None else f"{consumer.name} ({consumer.group_id})"
        )
        age = consumer.oldest_unprocessed_age_s
        lags = " ".join(f"{p.partition}:{p.lag}" for p in consumer.partitions)
        table.add_row(
            name,
            "-" if consumer.position is None else f"{consumer.position:,}",
            f"{consumer.behind:,}",
            "-" if age is None else f"{age:,.1f} s",
            lags or ("-" if consumer.kind == "projector" else ""),
            _dead_letters_cell(consumer.kind, consumer.dead_letters),
        )
    console.print(table)
    console.print(f"Dead letters: {current.dead_letters:,} on {current.dead_letter_topic}")
    for pending in current.pending_rebuilds:
        console.print(
            f"warning: rebuild {pending} stopped after its swap; rerun "
            "`ledgerline projections rebuild` to finish it."
        )


def _dead_letters_cell(kind: str, count: int | None) -> str:
    if kind != "projector":
        return ""
    return "?" if count is None else f"{count:,}"


# -- shared -----------------------------------------------------------------------------------


def _kinds(target: str) -> list[str]:
    if target not in TARGETS:
        typer.echo(f"error: unknown target {target!r}: choose mongo, search or all", err=True)
        raise typer.Exit(2)
    return ["mongo", "search"] if target == "all" else [target]


@contextlib.contextmanager
def _resources(settings: Settings, kinds: Sequence[str]) -> Iterator[tuple[Any, list[Any]]]:
    """The event store and the requested targets, checked to answer, closed on exit."""
    import psycopg
    from elasticsearch import Elasticsearch
    from pymongo import MongoClient

    from event_store.connection import open_pool
    from event_store.store import EventStore
    from projections.rebuild.mongo_target import MongoTarget
    from projections.rebuild.search_target import SearchTarget
    from projections.rebuild.targets import RebuildTarget

    # Fail in a moment, not after the pool's timeout, when PostgreSQL is not there at all.
    with psycopg.connect(settings.database_url, connect_timeout=5):
        pass
    with contextlib.ExitStack() as stack:
        pool = open_pool(settings.database_url, min_size=1, max_size=4, name="rebuild")
        stack.callback(pool.close)
        targets: list[RebuildTarget] = []
        if "mongo" in kinds:
            mongo: MongoClient[dict[str, Any]] = MongoClient(
                settings.mongo_url,
                serverSelectionTimeoutMS=5000,
                connectTimeoutMS=5000,
                journal=True,  # as the live projector writes (projections.mongo_sink)
            )
            stack.callback(mongo.close)
            mongo.admin.command("ping")
            targets.append(MongoTarget(mongo[settings.mongo_database]))
        if "search" in kinds:
            search = Elasticsearch(settings.elasticsearch_url, request_timeout=120, max_retries=0)
            stack.callback(search.close)
            search.cluster.health()  # fails now, not mid-rebuild, if nothing answers
            targets.append(SearchTarget(search, settings.search_index_prefix))
        yield EventStore(pool), targets
