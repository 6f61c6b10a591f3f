"""Connection pools for the event store.

Connections run in autocommit mode: every append is one SQL statement (data-modifying CTEs write
the idempotency record, unique claims and events together), which PostgreSQL runs atomically in
its own transaction. That saves the BEGIN and COMMIT round trips a client-side transaction costs.
"""

from __future__ import annotations

from psycopg_pool import ConnectionPool

# Opening waits for the first ``min_size`` connections: a start-up bound, unlike ``timeout``, the
# wait for a free connection on every checkout. A checkout timeout set short to shed load under
# overload (a few ms: the request gets a 503 instead of queueing) is shorter than establishing a
# connection, and used for opening too it made the service fail to start.
_OPEN_TIMEOUT_FLOOR_S = 5.0
# psycopg_pool retries a lost connection with a back-off that doubles until ``reconnect_timeout``
# (5 minutes by default), so after an outage of N seconds its next attempt can come up to N
# seconds after the server is back -- or the standby promoted (infra/failover.py). Instead each
# retry chain gives up after a few seconds and ``_keep_trying`` starts a fresh one at once: one
# attempt every second or two for as long as the outage lasts, and the pool follows the server
# within a couple of seconds of its return.
_RECONNECT_TIMEOUT_S = 3.0


def _keep_trying(pool: ConnectionPool) -> None:
    """``reconnect_failed`` hook: ``check()`` grows the pool by one connection (a fresh retry
    chain) unless one is growing already. Without it, a chain that gave up is replaced only by
    the next checkout, and requests already waiting for a connection would wait out their whole
    timeout even though the server is back."""
    if not pool.closed:
        pool.check()


def open_pool(
    conninfo: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    timeout: float = 10.0,
    search_path: str | None = None,
    name: str = "event_store",
) -> ConnectionPool:
    """Open a pool of autocommit connections and wait until the first one is ready.

    ``timeout`` bounds each wait for a free connection; opening waits at least
    ``_OPEN_TIMEOUT_FLOOR_S`` whatever it is."""
    kwargs: dict[str, object] = {"autocommit": True}
    if search_path is not None:
        kwargs["options"] = f"-c search_path={search_path}"
    pool = ConnectionPool(
        conninfo,
        min_size=min_size,
        max_size=max_size,
        timeout=timeout,
        kwargs=kwargs,
        name=name,
        open=False,
        reconnect_timeout=_RECONNECT_TIMEOUT_S,
        reconnect_failed=_keep_trying,
    )
    pool.open(wait=True, timeout=max(timeout, _OPEN_TIMEOUT_FLOOR_S))
    return pool
