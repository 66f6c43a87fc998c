"""State changes of the organisation subject, each one audited transaction."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.core.actions import action
from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.errors import Conflict, Forbidden, InvalidInput
from fanguai.org.models import Role, User
from fanguai.org.schemas import UserCreate
from fanguai.org.service import get_unit_by_code
from fanguai.security.password_policy import validate_password
from fanguai.security.passwords import hash_password
from fanguai.security.roles import ADMIN_ROLES, ROLES
from fanguai.security.scope import covers


def check_roles(roles: list[str]) -> None:
    """Known roles; at most one admin role, never combined with business roles (三权分立)."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise InvalidInput(f"unknown role(s): {', '.join(unknown)}", field="roles")
    if len(set(roles) & ADMIN_ROLES) > 1:
        raise InvalidInput(
            "an account may hold at most one of sys_admin, sec_admin, audit_admin", field="roles"
        )
    if set(roles) & ADMIN_ROLES and set(roles) - ADMIN_ROLES:
        raise InvalidInput("admin roles cannot be combined with business roles", field="roles")


def create_user(
    session: Session,
    *,
    actor: Actor,
    data: UserCreate,
    password_profile: str | None = None,
    enrolment: Callable[[User], None] | None = None,
) -> User:
    """Create a staff user in a unit, with roles (operators on the CLI, or the system admin).

    ``enrolment`` runs inside the same transaction once the user exists (it sets the one-time
    second-factor enrolment code), so an account never exists without its code.
    """
    if password_profile is None:
        from fanguai.settings import get_settings

        password_profile = get_settings().password_profile
    with action(
        session,
        actor,
        "org.create_user",
        object_type="user",
        detail={"username": data.username, "unit": data.unit_code, "roles": sorted(data.roles)},
    ) as act:
        if actor.kind == "user":
            actor.require("users.manage")
            if data.roles:
                # 三权分立: accounts are created bare; the security admin grants roles.
                raise Forbidden(
                    "the system admin creates accounts; roles are granted by the security admin"
                )
        check_roles(data.roles)
        unit = get_unit_by_code(session, code=data.unit_code)
        if actor.kind == "user" and not covers(actor, unit.division_code):
            raise InvalidInput(f"unknown unit code {data.unit_code!r}", field="unit_code")
        exists = session.execute(select(User.id).where(User.username == data.username)).first()
        if exists is not None:
            raise Conflict(f"user name {data.username!r} already exists", field="username")
        validate_password(
            data.password,
            profile=password_profile,
            context=(data.username, data.display_name, unit.name),
        )
        roles = [session.get(Role, code) for code in sorted(set(data.roles))]
        user = User(
            username=data.username,
            display_name=data.display_name,
            unit=unit,
            password_hash=hash_password(data.password),
            roles=[r for r in roles if r],
            password_changed_at=utcnow(),
        )
        session.add(user)
        session.flush()
        act.object_id = user.public_id
        if enrolment is not None:
            enrolment(user)
    return user
