"""Account administration under 三权分立: the system admin runs accounts, the security admin
grants roles and resets second factors, the audit admin reads the log. Each through its own
actions; none of them can do the others' work."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.core.actions import action
from fanguai.core.actor import Actor
from fanguai.errors import Forbidden, NotFound
from fanguai.org.actions import check_roles
from fanguai.org.models import Role, User
from fanguai.security.scope import covers


def _target(session: Session, actor: Actor, public_id: str) -> User:
    user = session.execute(select(User).where(User.public_id == public_id)).scalar_one_or_none()
    if user is None or not covers(actor, user.unit.division_code):
        raise NotFound("user not found")
    return user


def set_active(
    session: Session, *, actor: Actor, user_public_id: str, active: bool, reason: str | None = None
) -> User:
    """System admin: disable (sessions end at once) or re-enable an account."""
    with action(
        session,
        actor,
        "admin.user_enable" if active else "admin.user_disable",
        object_type="user",
        object_id=user_public_id,
        detail={"reason": reason or ""},
    ) as act:
        actor.require("users.manage")
        user = _target(session, actor, user_public_id)
        if user.id == actor.user_id:
            raise Forbidden("an admin cannot disable their own account")
        user.is_active = active
        user.disabled_reason = None if active else (reason or "disabled by the system admin")
        user.auth_epoch += 1
        act.detail["username"] = user.username
    return user


def set_roles(session: Session, *, actor: Actor, user_public_id: str, roles: list[str]) -> User:
    """Security admin: replace a user's roles; the user's sessions end before the next request."""
    with action(
        session,
        actor,
        "admin.set_roles",
        object_type="user",
        object_id=user_public_id,
        detail={"roles": sorted(roles)},
        priority="high",
    ):
        actor.require("roles.assign")
        check_roles(roles)
        user = _target(session, actor, user_public_id)
        if user.id == actor.user_id:
            raise Forbidden("an admin cannot change their own roles")
        user.roles = [r for r in (session.get(Role, c) for c in sorted(set(roles))) if r]
        user.auth_epoch += 1
    return user


def unlock(session: Session, *, actor: Actor, user_public_id: str) -> User:
    """Security admin: lift a lockout before it expires."""
    with action(session, actor, "admin.unlock", object_type="user", object_id=user_public_id):
        actor.require("users.unlock")
        user = _target(session, actor, user_public_id)
        user.locked_until = None
        user.failed_logins = 0
    return user
