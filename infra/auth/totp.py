"""Time-based one-time passwords (RFC 6238, ``pyotp``) and recovery codes.

Codes are 6 digits over 30-second steps; a code is accepted for the current step and one step
either side (clock drift), and each step at most once per user (the domain refuses a step at
or before the last one used). Enrolment shows an ``otpauth://`` URI and the same as an SVG QR
code (``segno``). Recovery codes are 10 random codes of 10 characters from an alphabet without
look-alikes, shown once; only their SHA-256 digests are kept (sealed, like the TOTP secret).
"""

from __future__ import annotations

import hashlib
import io
import secrets
from datetime import datetime
from uuid import UUID

import pyotp
import segno

STEP_S = 30
DIGITS = 6
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).provisioning_uri(
        name=account, issuer_name=issuer
    )


def qr_svg(uri: str) -> str:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=4, xmldecl=False)
    return buffer.getvalue().decode()


def step_at(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_S


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (now, or one either side) whose code ``code`` is, if any."""
    code = code.strip()
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S)
    current = step_at(now)
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def code_at(secret: str, moment: datetime) -> str:
    """The code an authenticator app shows at ``moment`` (tests and tools)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).generate_otp(step_at(moment))


def new_recovery_codes() -> list[str]:
    return [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        for _ in range(RECOVERY_CODES)
    ]


def recovery_code_digest(user_id: UUID, code: str) -> str:
    """SHA-256 of the user id and the code as typed (case, spaces and dashes ignored); the user
    id keeps one table of digests from serving every user."""
    normalized = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(user_id.bytes + normalized.encode()).hexdigest()
