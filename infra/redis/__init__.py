"""Ledgerline's use of Redis: shared rate-limit buckets and wake-up signals, nothing else.

Nothing in Redis is the only copy of anything. A lost bucket is a full bucket; a lost signal
is noticed by the slower poll that every signalled wait keeps as its fallback. So Redis runs
without persistence, and every user of it carries on (fail open, or poll) while it is down.

- ``connection``: key and channel names (all under ``Settings.redis_prefix``) and clients;
- ``signals``: fire-and-forget publishing from a background thread, a subscriber thread, and
  the ``Wakeup`` flag a signalled loop waits on;
- ``versions``: the "stream S is at version V in read model M" message the projectors publish.
"""
