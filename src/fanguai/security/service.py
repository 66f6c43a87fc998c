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
from fanguai.security.models import AuthThrottle, UserSession
from fanguai.security.passwords import hash_password, needs_rehash, verify_password
from fanguai.security.roles import permissions_for

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=10)
THROTTLE_FAILURES = 20
THROTTLE_WINDOW = timedelta(minutes=15)
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
        must_change_password=user.must_change_password,
    )


@dataclass(frozen=True)
class LoginPolicy:
    """What the login checks beyond the password (from the settings)."""

    absolute_hours: int = 8
    dormant_after_days: int = 90
    rotation_days: int = 0  # 0: passwords do not expire


def _throttled(session: Session, key: str | None, now: datetime) -> bool:
    if key is None:
        return False
    row = session.get(AuthThrottle, key)
    return (
        row is not None
        and row.window_start + THROTTLE_WINDOW > now
        and row.failures >= THROTTLE_FAILURES
    )


def _count_throttle(session: Session, key: str | None, now: datetime) -> None:
    if key is None:
        return
    row = session.get(AuthThrottle, key, with_for_update=True)
    if row is None:
        session.add(AuthThrottle(key=key, window_start=now, failures=1))
    elif row.window_start + THROTTLE_WINDOW <= now:
        row.window_start, row.failures = now, 1
    else:
        row.failures += 1


def is_dormant(user: User, now: datetime, days: int) -> bool:
    """Unused for ``days`` days or more (never used: counted from creation)."""
    last = user.last_login_at or user.created_at
    return now - last >= timedelta(days=days)


def login(
    session: Session,
    *,
    username: str,
    password: str,
    absolute_hours: int = 8,
    policy: LoginPolicy | None = None,
    throttle_key: str | None = None,
    now: datetime | None = None,
) -> tuple[NewSession, Actor]:
    """Check the password and open a session; every failure raises the same ``LoginFailed``.

    Failures are counted per account (5 → locked for 10 minutes) and per client address
    (``throttle_key``: 20 in 15 minutes → every login from there refused until the window ends).
    """
    policy = policy or LoginPolicy(absolute_hours=absolute_hours)
    now = now or utcnow()
    username = username.strip()
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    # Always one Argon2 verification, also for unknown names: timing tells nothing.
    ok = verify_password(user.password_hash if user else None, password)
    throttled = _throttled(session, throttle_key, now)
    session.rollback()
    # An unknown name may be a password typed into the wrong box: log only a digest of it.
    unknown = "unknown:" + hashlib.sha256(username.encode()).hexdigest()[:12]
    actor = actor_for_user(user) if user else Actor(kind="anonymous", name=unknown)
    reason = None
    if throttled:
        reason = "throttled"
    elif user is None:
        reason = "unknown_user"
    elif not user.is_active:
        reason = "disabled"
    elif user.locked_until is not None and user.locked_until > now:
        reason = "locked"
    elif not ok:
        reason = "wrong_password"
    elif is_dormant(user, now, policy.dormant_after_days):
        reason = "dormant"
    if reason is not None:
        with action(
            session,
            actor,
            "auth.login",
            object_type="user",
            object_id=user.public_id if user else None,
            detail={"reason": reason},
        ) as act:
            act.outcome = "denied"
            _count_throttle(session, throttle_key, now)
            if user is not None:
                # Locked for the increment: parallel wrong passwords must all count.
                row = session.get(User, user.id, with_for_update={"of": User})
                assert row is not None
                if reason == "wrong_password":
                    row.failed_logins += 1
                    if row.failed_logins >= MAX_FAILED_LOGINS:
                        row.locked_until = now + LOCKOUT
                        row.failed_logins = 0
                        act.detail["locked"] = True
                elif reason == "dormant":
                    row.is_active = False
                    row.disabled_reason = "dormant"
                    row.auth_epoch += 1
        raise LoginFailed()
    assert user is not None
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=policy.absolute_hours)
    with action(session, actor, "auth.login", object_type="user", object_id=user.public_id):
        row = session.get(User, user.id)
        assert row is not None
        row.failed_logins = 0
        row.locked_until = None
        row.last_login_at = now
        if needs_rehash(row.password_hash):
            row.password_hash = hash_password(password)
        changed = row.password_changed_at or row.created_at
        if policy.rotation_days and now - changed >= timedelta(days=policy.rotation_days):
            row.must_change_password = True
        session.add(
            UserSession(
                token_hash=token_hash(token),
                user_id=row.id,
                auth_epoch=row.auth_epoch,
                csrf_token=csrf,
                created_at=now,
                last_seen_at=now,
                expires_at=expires,
            )
        )
        user = row
    return NewSession(token=token, csrf_token=csrf, expires_at=expires), actor_for_user(user)


def disable_dormant(
    session: Session, *, actor: Actor, days: int, now: datetime | None = None
) -> list[str]:
    """Disable every active account unused for ``days`` days; returns their user names."""
    now = now or utcnow()
    with action(
        session, actor, "auth.disable_dormant", object_type="user", detail={"days": days}
    ) as act:
        disabled = []
        for user in session.execute(select(User).where(User.is_active)).scalars():
            if is_dormant(user, now, days):
                user.is_active = False
                user.disabled_reason = "dormant"
                user.auth_epoch += 1
                disabled.append(user.username)
        act.detail["disabled"] = disabled
    return disabled


def change_password(
    session: Session,
    *,
    actor: Actor,
    old_password: str,
    new_password: str,
    profile: str,
    token: str,
    now: datetime | None = None,
) -> None:
    """Change one's own password (checked against the policy); other sessions end."""
    from fanguai.security.password_policy import validate_password

    now = now or utcnow()
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotAuthenticated("not logged in")
    ok = verify_password(user.password_hash, old_password)
    session.rollback()
    if not ok:
        from fanguai.errors import InvalidInput

        with action(
            session,
            actor,
            "auth.password_change",
            object_type="user",
            object_id=actor.user_public_id,
            detail={"reason": "wrong_password"},
        ) as act:
            act.outcome = "denied"
            # Guessing through a stolen session counts like guessing at the login form.
            row = session.get(User, actor.user_id, with_for_update={"of": User})
            assert row is not None
            row.failed_logins += 1
            if row.failed_logins >= MAX_FAILED_LOGINS:
                row.locked_until = utcnow() + LOCKOUT
                row.failed_logins = 0
                row.auth_epoch += 1
                act.detail["locked"] = True
        raise InvalidInput("当前密码不正确", field="old_password")
    with action(
        session, actor, "auth.password_change", object_type="user", object_id=actor.user_public_id
    ):
        row = session.get(User, actor.user_id)
        assert row is not None
        validate_password(
            new_password, profile=profile, context=(row.username, row.display_name, row.unit.name)
        )
        if verify_password(row.password_hash, new_password):
            from fanguai.errors import InvalidInput

            raise InvalidInput("新密码不能与当前密码相同", field="new_password")
        row.password_hash = hash_password(new_password)
        row.password_changed_at = now
        row.must_change_password = False
        row.auth_epoch += 1  # every other session ends
        current = session.get(UserSession, token_hash(token))
        if current is not None:
            current.auth_epoch = row.auth_epoch  # this one goes on


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
