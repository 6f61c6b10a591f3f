"""Ledgerline's own signing keys: ES256 (ECDSA P-256), kept in PostgreSQL, published as a JWKS.

One key signs at a time, the newest one not retired. ``rotate`` retires it and makes a new one
active in one transaction; a retired key stays in the JWKS until every token it signed has
expired (retired + access-token lifetime + a minute of clock skew), so rotation never cuts
anyone off. E-mail link tokens live longer (up to a day) and only we verify them, so a retired
key keeps verifying those for ``retention_s`` without staying published: a key rotated in an
emergency stops vouching for access tokens as soon as it would have anyway. The first process
that needs a key when there is none creates it (under an advisory lock, so two processes
starting together do not make two).

Private keys are stored sealed: AES-256-GCM under ``LEDGERLINE_SIGNING_KEY_SECRET`` (32 bytes,
base64), with the key id as associated data. Processes cache the keys and look again every
``refresh_s`` (so a rotation reaches every process within that), and at once, at most once a
second, when a token names a key id they do not know.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import psycopg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from jwt.algorithms import ECAlgorithm

from event_store.schema import create_under_lock
from event_store.store import EventStore
from infra.auth import Clock

ALGORITHM = "ES256"
SKEW = timedelta(minutes=1)
_ROTATION_LOCK = 0x4C4C4B31  # pg_advisory_xact_lock id: "LLK1"

DDL = """
CREATE TABLE IF NOT EXISTS signing_keys (
    kid          text PRIMARY KEY,
    algorithm    text NOT NULL,
    public_jwk   jsonb NOT NULL,
    private_key  bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    retired_at   timestamptz
);
"""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    public_jwk: dict[str, Any]
    private_key: ec.EllipticCurvePrivateKey | None  # None: this process only verifies
    created_at: datetime
    retired_at: datetime | None

    @cached_property  # parsed once: every verification of a token needs it
    def public_key(self) -> Any:
        return ECAlgorithm.from_jwk(json.dumps(self.public_jwk))


class KeyStore:
    """The signing keys of one event store database."""

    def __init__(
        self,
        store: EventStore,
        secret: bytes | None,
        *,
        token_ttl_s: int,
        clock: Clock,
        refresh_s: float = 30.0,
        retention_s: int = 0,
    ) -> None:
        """``secret`` None: a verifier only (the query API), which never opens private keys.
        ``retention_s``: the longest lifetime of the unpublished tokens verified here."""
        if secret is not None and len(secret) != 32:
            raise ValueError("the signing key secret must be 32 bytes (base64 in the settings)")
        self._store = store
        self._aead = None if secret is None else AESGCM(secret)
        self._token_ttl = timedelta(seconds=token_ttl_s)
        self._retention = max(self._token_ttl, timedelta(seconds=retention_s))
        self._clock = clock
        self._refresh_s = refresh_s
        self._keys: list[SigningKey] = []
        self._loaded_at = -1e9
        self._lock = threading.Lock()

    def ensure_table(self) -> None:
        with self._store.connection() as conn:
            create_under_lock(conn, _ROTATION_LOCK, DDL)

    # -- reading ------------------------------------------------------------------------------

    def signing_key(self) -> SigningKey:
        """The active key (created when there is none)."""
        active = self._active(self._cached())
        if active is None:
            self._create_if_none()
            active = self._active(self._load())
        assert active is not None and active.private_key is not None
        return active

    def verification_key(self, kid: str, *, token_ttl_s: int | None = None) -> Any | None:
        """The public key named ``kid`` if it may still have signed a live token of lifetime
        ``token_ttl_s`` (default: an access token's, i.e. it is still published), else None."""
        key = next((k for k in self._cached() if k.kid == kid), None)
        if key is None and time.monotonic() - self._loaded_at >= 1.0:
            key = next((k for k in self._load() if k.kid == kid), None)
        ttl = self._token_ttl if token_ttl_s is None else timedelta(seconds=token_ttl_s)
        if key is None or not self._vouches_for(key, min(ttl, self._retention)):
            return None
        return key.public_key

    def now(self) -> datetime:
        """The time tokens are judged by (the injected clock)."""
        return self._clock()

    def jwks(self) -> dict[str, Any]:
        published = [k for k in self._cached() if self._vouches_for(k, self._token_ttl)]
        return {"keys": [dict(key.public_jwk) for key in published]}

    def _active(self, keys: list[SigningKey]) -> SigningKey | None:
        return next((k for k in keys if k.retired_at is None), None)

    def _vouches_for(self, key: SigningKey, ttl: timedelta) -> bool:
        """Whether a token of lifetime ``ttl`` signed by ``key`` may still be unexpired."""
        return key.retired_at is None or key.retired_at > self._clock() - ttl - SKEW

    def _cached(self) -> list[SigningKey]:
        if time.monotonic() - self._loaded_at >= self._refresh_s:
            return self._load()
        return self._keys

    def _load(self) -> list[SigningKey]:
        published_after = self._clock() - self._retention - SKEW
        try:
            with self._store.connection() as conn:
                rows = conn.execute(
                    b"SELECT kid, public_jwk, private_key, created_at, retired_at"
                    b" FROM signing_keys WHERE retired_at IS NULL OR retired_at > %s"
                    b" ORDER BY created_at DESC",
                    (published_after,),
                ).fetchall()
        except psycopg.errors.UndefinedTable:
            rows = []  # no write API has run yet: no keys, so none of our tokens exist either
        keys = [
            SigningKey(
                kid=row[0],
                public_jwk=row[1],
                private_key=self._open(row[0], bytes(row[2]))
                if row[4] is None and self._aead is not None
                else None,
                created_at=row[3],
                retired_at=row[4],
            )
            for row in rows
        ]
        with self._lock:
            self._keys, self._loaded_at = keys, time.monotonic()
        return keys

    # -- writing ------------------------------------------------------------------------------

    def rotate(self) -> str:
        """Retire the active key and make a new one active; returns the new key id."""
        with self._store.connection() as conn, conn.transaction():
            conn.execute(b"SELECT pg_advisory_xact_lock(%s)", (_ROTATION_LOCK,))
            conn.execute(
                b"UPDATE signing_keys SET retired_at = %s WHERE retired_at IS NULL",
                (self._clock(),),
            )
            kid = self._insert_new(conn)
        self._load()
        return kid

    def _create_if_none(self) -> None:
        with self._store.connection() as conn, conn.transaction():
            conn.execute(b"SELECT pg_advisory_xact_lock(%s)", (_ROTATION_LOCK,))
            row = conn.execute(b"SELECT 1 FROM signing_keys WHERE retired_at IS NULL").fetchone()
            if row is None:
                self._insert_new(conn)

    def _insert_new(self, conn: Any) -> str:
        kid = uuid.uuid4().hex[:16]
        private = ec.generate_private_key(ec.SECP256R1())
        jwk = json.loads(ECAlgorithm.to_jwk(private.public_key()))
        jwk |= {"kid": kid, "alg": ALGORITHM, "use": "sig"}
        der = private.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        assert self._aead is not None, "a verify-only key store cannot create keys"
        nonce = os.urandom(12)
        sealed = nonce + self._aead.encrypt(nonce, der, kid.encode())
        conn.execute(
            b"INSERT INTO signing_keys (kid, algorithm, public_jwk, private_key, created_at)"
            b" VALUES (%s, %s, %s, %s, %s)",
            (kid, ALGORITHM, json.dumps(jwk), sealed, self._clock()),
        )
        return kid

    def _open(self, kid: str, sealed: bytes) -> ec.EllipticCurvePrivateKey:
        assert self._aead is not None
        der = self._aead.decrypt(sealed[:12], sealed[12:], kid.encode())
        key = serialization.load_der_private_key(der, password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key


def decode_secret(value: str) -> bytes:
    """The signing-key secret from its settings form (standard or URL-safe base64)."""
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
