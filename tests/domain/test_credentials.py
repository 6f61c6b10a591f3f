"""The user's security record and the session aggregate, without servers: TOTP steps once,
recovery codes once, roles, staff roles waiting for a second factor, session generations, and
refresh-token rotation with reuse detection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.errors import (
    InvalidInput,
    InvalidRole,
    MfaAlreadyEnabled,
    NoTotpEnrolment,
    RoleNotHeld,
    SessionEnded,
)
from domain.session import Session
from domain.user import User

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def a_user() -> User:
    return User(email="ada@example.com", full_name="Ada", password_hash="h1")


def a_session(user: User, digest: str = "d1", hours: int = 1) -> Session:
    return Session(
        id=uuid4(),
        user_id=user.id,
        amr=["pwd"],
        address="10.0.0.1",
        user_agent="test",
        refresh_digest=digest,
        generation=user.session_generation,
        expires_at=(NOW + timedelta(hours=hours)).isoformat(),
    )


def test_mfa_needs_an_enrolment_and_each_totp_step_is_good_once() -> None:
    user = a_user()
    with pytest.raises(NoTotpEnrolment):
        user.enable_mfa(["c1"], totp_step=100)
    user.start_totp_enrolment("SECRET")
    user.enable_mfa(["c1", "c2"], totp_step=100)
    assert user.mfa_enabled and user.recovery_codes == ["c1", "c2"]
    with pytest.raises(MfaAlreadyEnabled):
        user.start_totp_enrolment("OTHER")
    with pytest.raises(InvalidInput):
        user.record_login(uuid4(), ["pwd", "otp"], address=None, user_agent=None, totp_step=100)
    user.record_login(uuid4(), ["pwd", "otp"], address=None, user_agent=None, totp_step=101)
    user.use_recovery_code("c2")
    with pytest.raises(InvalidInput):
        user.use_recovery_code("c2")
    user.disable_mfa(totp_step=None)
    assert not user.mfa_enabled and user.recovery_codes == []


def test_staff_roles_reach_tokens_only_with_a_second_factor() -> None:
    user = a_user()
    user.grant_role("admin")
    assert user.token_roles(staff_roles_need_mfa=True) == ["customer"]
    assert user.token_roles(staff_roles_need_mfa=False) == ["admin", "customer"]
    user.start_totp_enrolment("S")
    user.enable_mfa([], totp_step=1)
    assert user.token_roles(staff_roles_need_mfa=True) == ["admin", "customer"]
    user.revoke_role("admin")
    with pytest.raises(RoleNotHeld):
        user.revoke_role("admin")
    with pytest.raises(InvalidRole):
        user.revoke_role("customer")
    with pytest.raises(InvalidRole):
        user.grant_role("superuser")


def test_revoking_all_sessions_keeps_only_the_one_named() -> None:
    user = a_user()
    first, second = uuid4(), uuid4()
    for sid in (first, second):
        user.record_login(sid, ["pwd"], address=None, user_agent=None)
    generation = user.session_generation
    assert user.revoke_sessions(keep=second, reason="password-changed") == [first]
    assert not user.session_is_current(first, generation)
    assert user.session_is_current(second, generation)
    assert user.revoke_sessions(keep=None, reason="revoked-everywhere") == [second]
    assert not user.session_is_current(second, generation)


def test_refresh_rotates_and_a_reused_token_ends_the_session() -> None:
    session = a_session(a_user())
    assert session.refresh("d1", "d2", NOW)
    assert session.refresh("d2", "d3", NOW)
    assert not session.refresh("d1", "d4", NOW)  # an old token: reuse
    assert session.ended == "refresh-token-reused"
    with pytest.raises(SessionEnded):
        session.refresh("d3", "d5", NOW)


def test_a_session_ends_when_it_expires_or_is_revoked() -> None:
    session = a_session(a_user(), hours=1)
    with pytest.raises(SessionEnded):
        session.refresh("d1", "d2", NOW + timedelta(hours=1))
    with pytest.raises(SessionEnded):
        session.refresh("unknown", "d2", NOW)
    session.revoke("logout")
    session.revoke("again")  # ending twice records nothing more
    assert session.ended == "logout"
    assert [type(e).__name__ for e in session.collect_events()] == ["Started", "Revoked"]
