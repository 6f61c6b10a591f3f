"""How operator commands fail: one line on stderr naming the server or the reason, and a
non-zero exit (1; 130 when interrupted), never a traceback. SIGTERM unwinds like Ctrl-C."""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Callable, Iterator
from typing import NoReturn
from urllib.parse import urlsplit

import structlog
import typer
from pydantic import ValidationError

from infra.logging import configure_logging
from infra.settings import Settings

log = structlog.get_logger(__name__)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def operator_settings() -> Settings:
    """The settings of an operator command, with logging configured; invalid settings are one
    line. Client libraries log each failed connection attempt: silenced, since the command's
    one-line error says it all."""
    try:
        settings = Settings()
    except ValidationError as error:
        fail(f"invalid settings: {error.errors()[0]['msg']}")
    configure_logging(settings.log_level, settings.effective_log_format)
    for library in ("elastic_transport", "elasticsearch", "kafka", "pymongo", "psycopg"):
        logging.getLogger(library).setLevel(logging.CRITICAL)
    return settings


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a supervisor, ``timeout``) unwinds like Ctrl-C: an unfinished generation is
    dropped on the way out instead of being left for the next run to clean up."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def failures_as_one_line(settings: Settings) -> Iterator[None]:
    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        fail(
            "interrupted; the live read models are untouched unless a swap had started, "
            "in which case the next rebuild finishes it",
            130,
        )
    except Exception as error:
        log.debug("projections_command_failed", exc_info=True)
        fail(describe_failure(error, settings))


def address(url: str) -> str:
    """``host:port`` of a server URL (never its credentials)."""
    parts = urlsplit(url if "//" in url else f"//{url}")
    return parts.netloc.rpartition("@")[2] or url


def describe_failure(error: BaseException, settings: Settings) -> str:
    """One line saying what went wrong, for the errors an operator can act on."""
    import psycopg
    from elastic_transport import TransportError
    from elasticsearch import ApiError
    from elasticsearch import ConnectionError as SearchConnectionError
    from kafka.errors import KafkaError
    from psycopg_pool import PoolTimeout
    from pymongo.errors import ConnectionFailure, PyMongoError

    from event_store.errors import StoreUnavailable
    from projections.operations import SinkUnavailable
    from projections.rebuild.guard import RebuildBusy
    from projections.rebuild.run import RebuildError
    from projections.status import StatusUnavailable

    detail = first_line(error)
    known: list[tuple[type[BaseException] | tuple[type[BaseException], ...], Callable[[], str]]] = [
        ((RebuildBusy, RebuildError, StatusUnavailable, SinkUnavailable), lambda: detail),
        (
            (psycopg.OperationalError, StoreUnavailable, PoolTimeout),
            lambda: (
                f"PostgreSQL (the event store) at {address(settings.database_url)} "
                f"is unreachable: {detail}"
            ),
        ),
        (
            ConnectionFailure,
            lambda: f"MongoDB at {address(settings.mongo_url)} is unreachable: {detail}",
        ),
        (
            (SearchConnectionError, TransportError),
            lambda: (
                f"Elasticsearch at {address(settings.elasticsearch_url)} is unreachable: {detail}"
            ),
        ),
        (
            KafkaError,
            lambda: f"Kafka at {settings.kafka_bootstrap_servers} is unreachable: {detail}",
        ),
        (psycopg.Error, lambda: f"PostgreSQL: {detail}"),
        (PyMongoError, lambda: f"MongoDB: {detail}"),
        (ApiError, lambda: f"Elasticsearch: {detail}"),
    ]
    for kinds, describe in known:
        if isinstance(error, kinds):
            return describe()
    return f"unexpected {type(error).__name__}: {detail}"


def first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]
