"""Request and response bodies of the auth service's routes (login, tokens, second factor,
sessions, roles, e-mail verification and password reset)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from write_api.schemas import Code, Email, GivenPassword, NewPassword, StrictBody

Role = Literal["customer", "operator", "auditor", "admin"]
RESET_ACCEPTED = (
    "If a user has this address, a link to reset the password is on its way; it works once"
    " and expires soon."
)


class LoginRequest(StrictBody):
    """First step of a login."""

    email: Email
    password: GivenPassword


class TokenResponse(BaseModel):
    """Tokens of a session (RFC 6749 section 5.1)."""

    access_token: str = Field(description="JWT (ES256), sent as `Authorization: Bearer`.")
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str = Field(description="Single use: every refresh returns a new one.")


class MfaRequired(BaseModel):
    """The password was right; now the second factor (``POST /v1/auth/mfa``)."""

    mfa_required: Literal[True] = True
    mfa_token: str = Field(description="Valid 5 minutes, for POST /v1/auth/mfa.")


class MfaLogin(StrictBody):
    """Second step of a login."""

    mfa_token: str = Field(min_length=1, max_length=4096)
    code: Code


class PasswordChange(StrictBody):
    current_password: GivenPassword
    new_password: NewPassword


class TotpEnrolment(BaseModel):
    """Scan the QR code (or type the secret) into an authenticator app, then confirm."""

    otpauth_uri: str
    qr_svg: str = Field(description="The otpauth URI as an SVG QR code.")
    secret: str = Field(description="Base32, for typing it in by hand.")


class CodeConfirmation(StrictBody):
    code: Code


class RecoveryCodes(BaseModel):
    """Shown once: each code replaces a TOTP code one time."""

    recovery_codes: list[str]
    id: UUID = Field(description="The user.")
    version: int = Field(description="The user's new stream version (use it as `min_version`).")


class MfaDisable(StrictBody):
    password: GivenPassword
    code: Code


class RoleGrant(StrictBody):
    role: Role


# -- account recovery by e-mail ----------------------------------------------------------------

LinkToken = Annotated[
    str,
    Field(
        strict=True,
        min_length=1,
        max_length=4096,
        description="The `token` parameter of the link in the e-mail.",
    ),
]


class EmailVerification(StrictBody):
    """Confirm an address with the token of its verification link."""

    token: LinkToken


class PasswordResetRequest(StrictBody):
    """Ask for a password-reset link to be mailed to an address."""

    email: Email


class PasswordResetAccepted(BaseModel):
    """The same answer whether or not anybody has the address."""

    detail: str = Field(default=RESET_ACCEPTED, examples=[RESET_ACCEPTED])


class PasswordResetConfirmation(StrictBody):
    """Set a new password with the token of a reset link."""

    token: LinkToken
    password: NewPassword
