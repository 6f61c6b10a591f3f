"""Relay leader election: any number of relay replicas, one of them publishing at a time.

Why an advisory lock, not a lease row
-------------------------------------
A lease row (``UPDATE leases SET holder = me, expires = now() + 10 s``) makes every takeover
wait out the lease, because nothing tells the others that the holder died. A session-level
advisory lock (``pg_try_advisory_lock``) is released by PostgreSQL the moment the holder's
session ends; a ``kill -9`` closes the socket, so a waiting replica gets the lock at its next
try (every ``retry_s``, 0.5 s by default). The lock lives on a dedicated connection of its own,
outside the pool: a pooled connection would be handed to other work and reset.

What the lock cannot see by itself is a holder that is alive but stuck (paused, partitioned
from the database without a reset). Two timeouts bound that, both ``lease_s`` (5 s):

- server side, the lock session runs with ``idle_session_timeout = lease_s``: the holder
  heartbeats (``SELECT 1``) every ``lease_s / 5``; if it stops, PostgreSQL ends the session and
  frees the lock (TCP keepalives and ``tcp_user_timeout`` do the same for a dead network);
- client side, a holder whose last heartbeat answer is older than ``lease_s`` considers itself
  deposed and stops publishing, because by then the server may have let someone else in.

The lock connection must reach PostgreSQL itself (or a session-pooling proxy): a session
lock taken through a transaction-pooling proxy (PgBouncer in transaction mode) would belong to
whichever client next used that server connection. It must also reach the primary, like the
relay's reads (``event_store.commit_order``): a hot standby grants advisory locks too, but the
term cannot be claimed there.

After a PostgreSQL fail-over the new primary holds no locks at all: every replica's lock
connection breaks, each reconnects (to whatever the connection string names) and competes
again; the heartbeat failure or the fenced checkpoint write (below) stops the old holder.

Fencing
-------
The lock alone cannot stop a deposed leader that does not know it yet (its heartbeat is
late, it is in the middle of a send). So each leadership starts a new *term*: the new leader
increments ``leader_epoch`` in the relay's checkpoint row and reads the checkpoint in the same
statement (``CheckpointStore.claim``); every checkpoint write is conditional on the row still
carrying the writer's term (``save_fenced``). A stale leader's write therefore fails
(``Fenced``), it never moves the checkpoint, and it stops before reading another batch. At most
the one batch it had already sent reaches the topic after the new leader started.

Why consumers never see a stream out of order
---------------------------------------------
Consumers apply an event only when its version is newer than the document's (redelivery is a
no-op), so what matters is that each stream's versions *first* appear on its partition in
order. Each leader starts from a stored checkpoint, and a checkpoint is only stored after the
broker acknowledged every event up to it; each leader sends in commit order, where a stream's
versions are in order, on one idempotent producer, which keeps its sends to a partition in
order. So when any leader's send of version v of a stream lands, every earlier version has
landed before it: either it is at or below that leader's starting checkpoint (acknowledged
earlier) or it is an earlier send of the same producer. A stale leader's late batch therefore
only repeats versions: the new leader started at the same stored checkpoint or a later one
(the claim reads the last checkpoint any term stored), never earlier.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import structlog
from prometheus_client import Counter, Gauge

log = structlog.get_logger(__name__)

IS_LEADER = Gauge("ledgerline_relay_leader", "1 while this relay is the leader and publishes.")
TAKEOVERS = Counter("ledgerline_relay_takeovers", "Times this relay became the leader.")
LOST = Counter(
    "ledgerline_relay_leadership_lost",
    "Terms that ended other than by a stop: lock connection lost, heartbeat late, or fenced.",
)


@dataclass(frozen=True)
class LeaderConfig:
    lease_s: float = 5.0  # see the module docstring: both the server's and the holder's bound
    retry_s: float = 0.5  # how often a waiting replica tries the lock

    @property
    def heartbeat_s(self) -> float:
        return self.lease_s / 5


def lock_key(name: str) -> int:
    """The advisory lock id of ``name`` (a signed 64-bit integer, as PostgreSQL takes it)."""
    return int.from_bytes(hashlib.sha256(f"ledgerline:{name}".encode()).digest()[:8], signed=True)


def connect_for_lock(conninfo: str, config: LeaderConfig) -> psycopg.Connection[Any]:
    """The dedicated lock connection: autocommit, keepalives, and the idle bound described in
    the module docstring."""
    lease_ms = int(config.lease_s * 1000)
    return psycopg.connect(
        conninfo,
        autocommit=True,
        connect_timeout=max(1, int(config.lease_s)),
        keepalives=1,
        keepalives_idle=max(1, int(config.lease_s / 2)),
        keepalives_interval=1,
        keepalives_count=2,
        tcp_user_timeout=lease_ms,
        options=f"-c idle_session_timeout={lease_ms} -c statement_timeout={lease_ms}",
        application_name="ledgerline-relay-leader",
    )


class Term:
    """One leadership: the lock held on ``conn``, kept alive by a heartbeat thread that owns
    the connection from now on. ``active`` is false once the connection failed, the heartbeat
    is late, or ``end`` was called; ``end`` closes the connection, which releases the lock."""

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        config: LeaderConfig,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._conn = conn
        self._config = config
        self._clock = clock
        self._last_answer = clock()
        self._failed = threading.Event()
        self._ended = threading.Event()
        self._thread = threading.Thread(target=self._heartbeat, name="leader-heartbeat")
        self._thread.daemon = True  # a heartbeat stuck on a dead network must not block exit
        self._thread.start()

    def active(self) -> bool:
        if self._ended.is_set() or self._failed.is_set():
            return False
        return self._clock() - self._last_answer < self._config.lease_s

    def end(self) -> None:
        self._ended.set()
        self._thread.join(self._config.lease_s)

    def _heartbeat(self) -> None:
        try:
            while not self._ended.wait(self._config.heartbeat_s):
                try:
                    self._conn.execute("SELECT 1")
                except psycopg.Error as error:
                    log.warning("relay_leader_connection_lost", error=str(error).strip())
                    self._failed.set()
                    return
                self._last_answer = self._clock()
        finally:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()


class LeaderElection:
    """Competes for the lock named ``name`` on ``conninfo``'s database."""

    def __init__(
        self,
        conninfo: str,
        name: str,
        config: LeaderConfig = LeaderConfig(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._conninfo = conninfo
        self._name = name
        self._key = lock_key(name)
        self._config = config
        self._clock = clock
        self._conn: psycopg.Connection[Any] | None = None

    def acquire(self, stop: threading.Event) -> Term | None:
        """Block until this replica holds the lock (a new ``Term``) or ``stop`` is set (None).
        Database outages are ridden out: the connection is opened again at the next try."""
        log.info("relay_waiting_for_leadership", lock=self._name)
        failures = 0
        while not stop.is_set():
            try:
                if self._try_lock():
                    conn, self._conn = self._conn, None
                    assert conn is not None
                    log.info("relay_became_leader", lock=self._name, failed_tries=failures)
                    return Term(conn, self._config, self._clock)
            except psycopg.Error as error:
                # Every try fails while the database is down (twice a second): say so at the
                # first and then every 30th, not in every line of the log.
                if failures % 30 == 0:
                    reason = str(error).strip()
                    log.warning("relay_leader_lock_unavailable", error=reason, tries=failures + 1)
                failures += 1
                self.close()
            stop.wait(self._config.retry_s)
        self.close()
        return None

    def _try_lock(self) -> bool:
        if self._conn is None or self._conn.closed:
            self._conn = connect_for_lock(self._conninfo, self._config)
        row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
        return bool(row and row[0])

    def close(self) -> None:
        """Close the waiting connection (a held lock belongs to its ``Term``)."""
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None
