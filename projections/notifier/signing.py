"""Standard Webhooks signatures (https://www.standardwebhooks.com/): secrets and the three headers.

A secret is ``whsec_`` + base64 of 32 random bytes. The signature of a delivery is
``v1,`` + base64(HMAC-SHA256(secret bytes, "<webhook-id>.<webhook-timestamp>.<body>")); while a
rotated-out secret is still valid, the header carries one signature per secret, space-separated,
and a receiver accepts the request when any of them matches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    secrets_in_force: Sequence[str], webhook_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The request headers of one attempt (a retry gets a fresh timestamp, the same id)."""
    if not secrets_in_force:
        raise ValueError("an endpoint always has at least one secret")
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            signature(secret, webhook_id, timestamp, body) for secret in secrets_in_force
        ),
        "content-type": "application/json",
    }
