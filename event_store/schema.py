"""The event store's schema, created by code: ``migrate()`` is idempotent and safe to run from
several processes at once (a transaction-scoped advisory lock serialises concurrent runs)."""

from __future__ import annotations

import psycopg
from psycopg import sql

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

-- ===== BEGIN hash chain (tamper evidence; defined and verified by event_store/hash_chain.py) =====
-- hash = sha256(previous hash || canonical content), where the previous hash is that of version
-- (version - 1) of the same stream (empty if there is none) and the canonical content is the
-- UTF-8 text of the jsonb array
--   [stream_id, stream_type, version, type, schema_version, data, state as hex, metadata,
--    event_id, recorded_at as microseconds since the Unix epoch]
-- (data or state is null). jsonb's text output is deterministic, so readers can recompute it.
ALTER TABLE events ADD COLUMN IF NOT EXISTS hash bytea;
-- Rows up to this position were written before the chain existed and carry no hash; any later
-- row without one is a break. Recorded once, under the table lock ADD COLUMN took.
CREATE TABLE IF NOT EXISTS hash_chain_start (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    after_position  bigint NOT NULL
);
INSERT INTO hash_chain_start (after_position)
SELECT coalesce(max(position), 0) FROM events
ON CONFLICT DO NOTHING;

-- A BEFORE ROW trigger sees the rows its own statement inserted earlier, so a multi-event
-- append to one stream chains correctly; the look-up is one probe of events_stream_version_key.
-- A hash supplied by the writer is kept (pg_restore, replication copy hashes as they are):
-- verification recomputes every hash, so a wrong one is reported either way.
CREATE OR REPLACE FUNCTION ledgerline_events_hash() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.hash IS NULL THEN
        NEW.hash := sha256(
            coalesce(
                (SELECT e.hash FROM events e
                 WHERE e.stream_id = NEW.stream_id AND e.version = NEW.version - 1),
                ''::bytea)
            || convert_to(
                jsonb_build_array(
                    NEW.stream_id, NEW.stream_type, NEW.version, NEW.type, NEW.schema_version,
                    NEW.data, encode(NEW.state, 'hex'), NEW.metadata, NEW.event_id,
                    (extract(epoch FROM NEW.recorded_at) * 1000000)::bigint
                )::text,
                'UTF8'));
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER events_hash_chain
    BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION ledgerline_events_hash();
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
"""


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
    except psycopg.OperationalError as error:
        raise StoreUnavailable(str(error)) from error
