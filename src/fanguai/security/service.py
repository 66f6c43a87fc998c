"""Login, sessions and the actor behind a request."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from fanguai.core.actions import action, bookkeeping
from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.errors import NotAuthenticated
from fanguai.org.models import User
from fanguai.security.models import UserSession
from fanguai.security.passwords import hash_password, needs_rehash, verify_password
from fanguai.security.roles import permissions_for

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=10)
TOUCH_EVERY = timedelta(seconds=60)
LOGIN_FAILED_MESSAGE = "用户名或密码错误"  # one message for every failure: no user enumeration


class LoginFailed(NotAuthenticated):
    """Wrong user name, wrong password, locked or disabled account (deliberately alike)."""

    def __init__(self) -> None:
        super().__init__(LOGIN_FAILED_MESSAGE)


@dataclass(frozen=True)
class NewSession:
    """The cookie token (shown once, never stored) and the CSRF token of a fresh session."""

    token: str
    csrf_token: str
    expires_at: datetime


def token_hash(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def actor_for_user(user: User, *, session_id: str | None = None) -> Actor:
    """The actor a staff user acts as."""
    roles = user.role_codes
    unit = user.unit
    return Actor(
        kind="user",
        name=user.username,
        user_id=user.id,
        user_public_id=user.public_id,
        unit_id=unit.id,
        unit_code=unit.code,
        unit_name=unit.name,
        department=unit.department,
        division_code=unit.division_code,
        level=unit.level,
        roles=roles,
        permissions=permissions_for(roles),
        session_id=session_id,
    )


def login(
    session: Session,
    *,
    username: str,
    password: str,
    idle_minutes: int,
    absolute_hours: int,
    now: datetime | None = None,
) -> tuple[NewSession, Actor]:
    """Check the password and open a session; every failure raises the same ``LoginFailed``."""
    now = now or utcnow()
    username = username.strip()
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    anonymous = Actor(kind="anonymous", name=username[:64] or "(empty)")
    ok = verify_password(user.password_hash if user else None, password)
    session.rollback()
    if user is None:
        with action(session, anonymous, "auth.login", object_type="user"):
            raise LoginFailed()
    assert user is not None
    user_actor = actor_for_user(user)
    if not user.is_active or (user.locked_until is not None and user.locked_until > now):
        with action(
            session,
            user_actor,
            "auth.login",
            object_type="user",
            object_id=user.public_id,
            detail={"reason": "locked_or_disabled"},
        ):
            raise LoginFailed()
    if not ok:
        with action(
            session, user_actor, "auth.login_failure", object_type="user", object_id=user.public_id
        ) as act:
            user = session.get(User, user.id)
            assert user is not None
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
                act.detail["locked"] = True
        raise LoginFailed()
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=absolute_hours)
    with action(session, user_actor, "auth.login", object_type="user", object_id=user.public_id):
        user = session.get(User, user.id)
        assert user is not None
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        session.add(
            UserSession(
                token_hash=token_hash(token),
                user_id=user.id,
                auth_epoch=user.auth_epoch,
                csrf_token=csrf,
                created_at=now,
                last_seen_at=now,
                expires_at=expires,
            )
        )
    del idle_minutes  # enforced when the session is resolved
    return NewSession(token=token, csrf_token=csrf, expires_at=expires), actor_for_user(user)


def resolve(
    session: Session, *, token: str | None, idle_minutes: int, now: datetime | None = None
) -> tuple[Actor, UserSession]:
    """The actor behind a session token, or ``NotAuthenticated``; refreshes last-seen."""
    if not token:
        raise NotAuthenticated("not logged in")
    now = now or utcnow()
    row = session.get(UserSession, token_hash(token))
    if row is None or row.revoked:
        raise NotAuthenticated("session expired or unknown")
    user = session.get(User, row.user_id)
    if (
        user is None
        or not user.is_active
        or user.auth_epoch != row.auth_epoch
        or row.expires_at <= now
        or row.last_seen_at + timedelta(minutes=idle_minutes) <= now
    ):
        raise NotAuthenticated("session expired or unknown")
    if now - row.last_seen_at >= TOUCH_EVERY:
        with bookkeeping(session):
            session.execute(
                update(UserSession)
                .where(UserSession.token_hash == row.token_hash)
                .values(last_seen_at=now)
            )
        set_committed_value(row, "last_seen_at", now)  # already stored: not a pending change
    return actor_for_user(user, session_id=row.token_hash[:16]), row


def logout(session: Session, *, actor: Actor, token: str) -> None:
    """End the session on the server."""
    with action(session, actor, "auth.logout", object_type="session"):
        row = session.get(UserSession, token_hash(token))
        if row is not None:
            row.revoked = True
