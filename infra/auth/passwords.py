"""Passwords: the policy a new password must meet, and argon2id hashing and verification.

Policy (OWASP ASVS 2.1, NIST SP 800-63B): 12 to 256 characters, any characters; refused when
it is one of the 30,000 most common passwords (``common_passwords.txt``), also with digits or
symbols appended ("password1234!"), or one character repeated. Nothing else is imposed: length
beats composition rules.

Hashing is argon2id (``argon2-cffi``) with parameters from the settings; a hash made with other
parameters verifies and is then re-hashed by the caller (``needs_rehash``). ``dummy_verify``
costs the same as a real verification, for logins with an unknown e-mail address.
"""

from __future__ import annotations

import contextlib
import functools
import secrets
import string
from dataclasses import dataclass
from importlib.resources import files

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256
_PADDING = string.digits + string.punctuation + " "


@functools.cache
def common_passwords() -> frozenset[str]:
    text = files("infra.auth").joinpath("common_passwords.txt").read_text()
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable, or None if it is."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return f"The password must be {MIN_LENGTH} to {MAX_LENGTH} characters long."
    lowered = password.lower()
    stem = lowered.rstrip(_PADDING)
    if lowered in common_passwords() or (len(stem) >= 4 and stem in common_passwords()):
        return "The password is too common; choose a longer phrase of your own."
    if len(set(password)) == 1:
        return "The password repeats a single character."
    return None


@dataclass(frozen=True)
class HashingParameters:
    """argon2id cost: ``time_cost`` passes over ``memory_kib`` KiB with ``parallelism`` lanes."""

    time_cost: int = 3
    memory_kib: int = 32_768
    parallelism: int = 1


class PasswordHasher:
    """argon2id hashes with the configured parameters."""

    def __init__(self, parameters: HashingParameters) -> None:
        self.parameters = parameters
        self._argon2 = Argon2Hasher(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_kib,
            parallelism=parameters.parallelism,
            type=Type.ID,
        )
        # For unknown accounts: a hash with today's parameters of something nobody knows.
        self._dummy = self._argon2.hash(secrets.token_urlsafe(32))

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; a missing or malformed hash never matches (and still
        costs a verification, so the answer takes as long)."""
        if password_hash is None:
            self.dummy_verify(password)
            return False
        try:
            return bool(self._argon2.verify(password_hash, password))
        except (VerifyMismatchError, VerificationError):
            return False
        except InvalidHashError:
            self.dummy_verify(password)
            return False

    def dummy_verify(self, password: str) -> None:
        """Do the work of a verification whose answer is no."""
        with contextlib.suppress(VerificationError):
            self._argon2.verify(self._dummy, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return bool(self._argon2.check_needs_rehash(password_hash))
