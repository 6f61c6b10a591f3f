"""Append-only PostgreSQL event store: schema, appends with optimistic concurrency, commit-order
reads, idempotency records, and an adapter that lets the ``eventsourcing`` library use it."""
