"""The event store's schema, created by code: ``migrate()`` is idempotent and safe to run from
several processes at once (a transaction-scoped advisory lock serialises concurrent runs)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from event_store import personal_data
from event_store.errors import StoreUnavailable

_MIGRATION_LOCK = 0x1ED6E911E  # arbitrary constant shared by every Ledgerline process

_DDL = """
CREATE TABLE IF NOT EXISTS events (
    position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The writing transaction's id, assigned by default so no writer can forget it. Commit-order
    -- readers sort by (tx_id, position); see event_store/commit_order.py.
    tx_id           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    event_id        uuid NOT NULL DEFAULT gen_random_uuid(),
    stream_id       uuid NOT NULL,
    stream_type     text NOT NULL,
    version         bigint NOT NULL CHECK (version >= 0),
    type            text NOT NULL,
    schema_version  integer NOT NULL DEFAULT 1 CHECK (schema_version > 0),
    -- Ledgerline's own events are JSON (data). Events written through the eventsourcing
    -- adapter carry the library's opaque serialised state instead (possibly compressed or
    -- encrypted by its mapper), which must round-trip byte for byte.
    data            jsonb,
    state           bytea,
    metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, version),
    CONSTRAINT events_one_payload CHECK ((data IS NULL) <> (state IS NULL))
);
CREATE INDEX IF NOT EXISTS events_commit_order_idx ON events (tx_id, position);
-- event_id is a random UUID with no index: a b-tree over random keys costs every append a
-- random page write, and nothing in Ledgerline looks events up by it.
DROP INDEX IF EXISTS events_event_id_key;

CREATE OR REPLACE FUNCTION ledgerline_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE OR REPLACE TRIGGER events_no_update_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION ledgerline_events_append_only();
CREATE OR REPLACE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION ledgerline_events_append_only();

-- No NOTIFY trigger: PostgreSQL serialises the commits of notifying transactions on one global
-- lock, which cost a quarter of the append throughput with 8 writers (bench/append.py). Tailing
-- readers poll instead (a cheap index range scan every few milliseconds when idle).
DROP TRIGGER IF EXISTS events_notify ON events;
DROP FUNCTION IF EXISTS ledgerline_events_notify();

-- ===== BEGIN hash chain (tamper evidence; defined and verified in event_store/hash_chain.py) =====
-- hash = sha256(hash of version - 1 of the same stream, or nothing || canonical content); the
-- canonical content is defined (and recomputed independently) in event_store/hash_chain.py.
ALTER TABLE events ADD COLUMN IF NOT EXISTS hash bytea;
-- Rows up to this position were written before the chain existed and carry no hash; any later
-- row without one is a break. Recorded once, under the lock ADD COLUMN took on events.
CREATE TABLE IF NOT EXISTS hash_chain_start (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    after_position  bigint NOT NULL
);
INSERT INTO hash_chain_start (after_position)
SELECT coalesce(max(position), 0) FROM events
ON CONFLICT DO NOTHING;

CREATE OR REPLACE FUNCTION ledgerline_event_content(
    stream_id uuid, stream_type text, version bigint, type text, schema_version integer,
    data jsonb, state bytea, metadata jsonb, event_id uuid, recorded_at timestamptz
) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT convert_to(concat_ws(E'\\n',
        stream_id, to_json(stream_type), version, to_json(type), schema_version,
        coalesce(data::text, '\\x' || encode(state, 'hex')), metadata, event_id,
        (extract(epoch FROM recorded_at) * 1000000)::bigint), 'UTF8')
$$;

-- A BEFORE ROW trigger sees the rows its own statement inserted earlier, so a multi-event append
-- to one stream chains correctly; the look-up is one probe of events_stream_version_key. Column
-- defaults (event_id, recorded_at) are already filled in when it runs.
CREATE OR REPLACE FUNCTION ledgerline_events_hash() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    previous bytea;
BEGIN
    SELECT e.hash INTO previous FROM events AS e
    WHERE e.stream_id = NEW.stream_id AND e.version = NEW.version - 1;
    NEW.hash := sha256(coalesce(previous, ''::bytea) || ledgerline_event_content(
        NEW.stream_id, NEW.stream_type, NEW.version, NEW.type, NEW.schema_version, NEW.data,
        NEW.state, NEW.metadata, NEW.event_id, NEW.recorded_at));
    RETURN NEW;
END
$$;
-- A hash the writer supplies is kept (a restore or a writer that chains in its own INSERT, see
-- ledgerline_hash_chain): verification recomputes every hash, so a wrong one is found anyway.
CREATE OR REPLACE TRIGGER events_hash_chain
    BEFORE INSERT ON events
    FOR EACH ROW WHEN (NEW.hash IS NULL) EXECUTE FUNCTION ledgerline_events_hash();

-- For writers that chain in their own INSERT: ledgerline_hash_chain(seed, content) OVER
-- (PARTITION BY stream_id ORDER BY version) is each row's hash, seed being the stored hash of the
-- version before the partition's first row (ignored on later rows).
-- PL/pgSQL rather than SQL: an aggregate's transition function is never inlined, and PL/pgSQL
-- evaluates this simple expression per row faster than the SQL function executor runs its query.
CREATE OR REPLACE FUNCTION ledgerline_hash_chain_step(chain bytea, seed bytea, content bytea)
RETURNS bytea
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN sha256(coalesce(chain, seed, ''::bytea) || content);
END
$$;
CREATE OR REPLACE AGGREGATE ledgerline_hash_chain(bytea, bytea) (
    SFUNC = ledgerline_hash_chain_step, STYPE = bytea
);
-- ===== END hash chain =====

CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope        text NOT NULL,
    key          text NOT NULL,
    fingerprint  text NOT NULL,
    response     jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);

CREATE TABLE IF NOT EXISTS unique_claims (
    kind      text NOT NULL,
    value     text NOT NULL,
    owner_id  uuid NOT NULL,
    PRIMARY KEY (kind, value)
);

CREATE TABLE IF NOT EXISTS checkpoints (
    consumer    text PRIMARY KEY,
    tx_id       xid8 NOT NULL,
    position    bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- The relay leader's term (projections/leadership.py): a new leader increments it, and a
-- leader's checkpoint write only applies while the row still carries its own term (fencing).
ALTER TABLE checkpoints ADD COLUMN IF NOT EXISTS leader_epoch bigint NOT NULL DEFAULT 0;
"""


def create_under_lock(conn: psycopg.Connection[Any], lock: int, *ddl: str) -> None:
    """Run idempotent DDL (``CREATE ... IF NOT EXISTS``) in one transaction under the advisory
    lock ``lock``: processes starting together on a fresh database (a write API and a notifier,
    two write APIs) would otherwise race in the catalog and one of them would fail."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
        for statement in ddl:
            conn.execute(statement.encode())


def migrate(conninfo: str, *, schema: str | None = None) -> None:
    """Create or update the schema. ``schema`` puts the tables in a named PostgreSQL schema
    (tests use one per case); connections must then set the same ``search_path``."""
    try:
        with psycopg.connect(conninfo, autocommit=False) as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            if schema is not None:
                conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
                )
                conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
            conn.execute(_DDL.encode())
            conn.execute(personal_data.DDL.encode())
    except psycopg.OperationalError as error:
        raise StoreUnavailable(str(error)) from error
