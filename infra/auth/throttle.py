"""The login throttle: failed logins lock an account (by the digest of its e-mail address, so an
address nobody registered locks exactly like a real one) and a client address, with a lock that
doubles with every further failure.

A key may fail ``free`` times; the next failure locks it for ``base_s``, the one after for twice
that, up to ``max_s``. A locked key is refused (429 with ``Retry-After``) before any password is
checked and without recording anything, which is what bounds the ``UserLoginFailed`` events an
attacker can add to a user's stream: with the defaults (5 free, 30 s doubling to 15 min) at most
5 + 5 in the first 15 minutes and 4 an hour after that. Failures are forgotten ``forget_s``
after the last one; a successful login clears its account's key (not the address's).

Password-reset requests are limited the same way per submitted address (``reset_key``), every
request counting (``record_attempt``), so nobody can fill a mailbox with reset mails; the key is
the address's digest, so a 429 says nothing about whether anyone has that address.

State is a PostgreSQL table shared by every write API process, so the limit holds however many
run. Times come from the injected clock, so tests can move time instead of sleeping.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from event_store.schema import create_under_lock
from event_store.store import EventStore
from infra.auth import Clock

_DDL_LOCK = 0x4C4C5448  # pg_advisory_xact_lock id: "LLTH"
DDL = """
CREATE TABLE IF NOT EXISTS login_throttle (
    key           text PRIMARY KEY,
    failures      integer NOT NULL,
    last_failure  timestamptz NOT NULL,
    locked_until  timestamptz
);
"""


@dataclass(frozen=True)
class ThrottlePolicy:
    free: int
    base_s: float = 30.0
    max_s: float = 900.0
    forget_s: float = 3600.0

    def lock_for(self, failures: int) -> float:
        """Seconds of lock after the ``failures``-th failure in a row (0: no lock)."""
        if failures <= self.free:
            return 0.0
        return float(min(self.max_s, self.base_s * 2 ** (failures - self.free - 1)))


# Three reset mails per address (the third starts the lock), then one more after 5 minutes, 10,
# 20, ... up to an hour.
DEFAULT_RESET_POLICY = ThrottlePolicy(free=2, base_s=300.0, max_s=3600.0, forget_s=3600.0)


class LoginLocked(Exception):
    """Too many failed logins for this account or client address."""

    code = "login-locked"
    message = "Too many failed logins; try again later."

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(self.message)
        self.retry_after_s = retry_after_s


class PasswordResetLimited(LoginLocked):
    """Too many password-reset requests for this address."""

    code = "password-reset-limited"
    message = "Too many password-reset requests for this address; try again later."


def account_key(email: str) -> str:
    return "account:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def reset_key(email: str) -> str:
    return "reset:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def address_key(address: str | None) -> str:
    return f"address:{address or 'unknown'}"


class LoginThrottle:
    def __init__(
        self,
        store: EventStore,
        account: ThrottlePolicy,
        address: ThrottlePolicy,
        clock: Clock,
        *,
        password_reset: ThrottlePolicy = DEFAULT_RESET_POLICY,
    ) -> None:
        self._store = store
        self._policies = {"account": account, "address": address, "reset": password_reset}
        self._clock = clock

    def ensure_table(self) -> None:
        with self._store.connection() as conn:
            create_under_lock(conn, _DDL_LOCK, DDL)

    def check(self, *keys: str) -> None:
        """Raise LoginLocked if any key is locked now."""
        now = self._clock()
        with self._store.connection() as conn:
            rows = conn.execute(
                b"SELECT locked_until FROM login_throttle"
                b" WHERE key = ANY(%s) AND locked_until > %s",
                (list(keys), now),
            ).fetchall()
        if rows:
            until = max(row[0] for row in rows)
            raise LoginLocked(max(1, math.ceil((until - now).total_seconds())))

    def failed(self, *keys: str) -> None:
        """Count a failure against every key (locking those past their free failures)."""
        now = self._clock()
        with self._store.connection() as conn:
            for key in keys:
                policy = self._policies[key.split(":", 1)[0]]
                forget_before = now - timedelta(seconds=policy.forget_s)
                row = conn.execute(
                    b"INSERT INTO login_throttle AS t (key, failures, last_failure)"
                    b" VALUES (%s, 1, %s)"
                    b" ON CONFLICT (key) DO UPDATE SET"
                    b"   failures = CASE WHEN t.last_failure < %s THEN 1 ELSE t.failures + 1 END,"
                    b"   last_failure = excluded.last_failure"
                    b" RETURNING failures",
                    (key, now, forget_before),
                ).fetchone()
                assert row is not None
                lock_s = policy.lock_for(int(row[0]))
                if lock_s:
                    conn.execute(
                        b"UPDATE login_throttle SET locked_until = %s WHERE key = %s",
                        (now + timedelta(seconds=lock_s), key),
                    )

    def record_attempt(self, *keys: str) -> None:
        """Count an attempt that is limited whatever its outcome (a password-reset request)."""
        self.failed(*keys)

    def succeeded(self, key: str) -> None:
        with self._store.connection() as conn:
            conn.execute(b"DELETE FROM login_throttle WHERE key = %s", (key,))

    def now(self) -> datetime:
        return self._clock()
