"""Backups and point-in-time recovery of the event store, with PostgreSQL's own tools.

- ``tools``: runs the embedded server's ``pg_basebackup``, ``pg_verifybackup``,
  ``pg_combinebackup`` and ``pg_receivewal``;
- ``catalog``: the backup directory (base backups with their metadata, the WAL archive), which
  backup a target needs, and retention;
- ``archiver``: the WAL streamer process (``ledgerline backup stream``; ``dev run`` supervises it);
- ``restore``: turns a backup chain plus WAL into a running server at a chosen point;
- ``epoch``: what a restore tells everything downstream (new topic generation, relay checkpoint,
  read-model rebuild).
"""
