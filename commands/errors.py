"""Errors the command layer raises; the HTTP layer maps each ``code`` to a status."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID


class CommandError(Exception):
    """Base class; ``code`` names the problem type."""

    code: ClassVar[str] = "command-error"


class NotFound(CommandError):
    code = "not-found"

    def __init__(self, kind: str, id: UUID | str) -> None:
        super().__init__(f"{kind} {id} does not exist")
        self.kind = kind
        self.id = id


class Forbidden(CommandError):
    code = "forbidden"


class VersionMismatch(CommandError):
    code = "version-mismatch"

    def __init__(self, expected: int, actual: int | None) -> None:
        super().__init__(f"expected version {expected}, found {actual}")
        self.expected = expected
        self.actual = actual


class IdempotencyKeyReused(CommandError):
    code = "idempotency-key-reused"

    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was already used with a different request")


class EmailTaken(CommandError):
    code = "email-taken"

    def __init__(self) -> None:
        super().__init__("a user with this email already exists")


class Conflict(CommandError):
    code = "concurrency-conflict"


class ServiceUnavailable(CommandError):
    code = "service-unavailable"
    retry_after_s: int = 1


class InvalidCredentials(CommandError):
    """Wrong e-mail, password or second factor; never says which."""

    code = "invalid-credentials"

    def __init__(self, message: str = "The credentials are not valid.") -> None:
        super().__init__(message)


class InvalidToken(CommandError):
    """An e-mail link's token that is forged, expired, of another purpose, or whose nonce the
    user's state no longer matches (names the ``token`` field). The message never quotes it."""

    code = "invalid-token"

    def __init__(self, message: str = "The link is not valid.") -> None:
        super().__init__(message)


class WrongPassword(CommandError):
    """The password a signed-in user gives to confirm a change (``field``) is not theirs: an
    input error naming that field (422), not a 401, which would say their token was refused
    and send clients to refresh it."""

    code = "wrong-password"

    def __init__(self, field: str, message: str = "The password is not correct.") -> None:
        super().__init__(message)
        self.field = field


class InvalidCode(CommandError):
    """A one-time or recovery code that does not match (names the ``code`` field)."""

    code = "invalid-code"

    def __init__(self) -> None:
        super().__init__("The code is not valid (or has been used already).")
