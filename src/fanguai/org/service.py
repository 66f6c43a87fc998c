"""Queries and rules of the organisation subject. Raises domain errors, never HTTP errors."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from fanguai.core.actor import Actor
from fanguai.errors import NotFound
from fanguai.org.catalogue import DEPARTMENTS
from fanguai.org.models import Unit, User
from fanguai.org.schemas import UnitRead, UserRead
from fanguai.security.scope import covers, covers_clause, sees_unit_at, sees_unit_clause


@dataclass(frozen=True)
class Page:
    """A page of results and the total they were drawn from."""

    items: list
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def unit_read(unit: Unit) -> UnitRead:
    """The API view of a unit."""
    return UnitRead(
        id=unit.public_id,
        code=unit.code,
        name=unit.name,
        department=unit.department,
        department_name=DEPARTMENTS.get(unit.department, unit.department),
        level=unit.level,
        division_code=unit.division_code,
        division_name=unit.division.full_name,
        is_member=unit.is_member,
        is_office=unit.is_office,
    )


def list_units(
    session: Session,
    *,
    actor: Actor,
    q: str | None = None,
    level: str | None = None,
    department: str | None = None,
    division_code: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page:
    """Units the actor may see, filtered and paginated (ordered by division, then plan order)."""
    actor.require("units.read")
    stmt = select(Unit).where(sees_unit_clause(actor, Unit.division_code))
    if q:
        stmt = stmt.where(or_(Unit.name.contains(q, autoescape=True), Unit.code == q))
    if level:
        stmt = stmt.where(Unit.level == level)
    if department:
        stmt = stmt.where(Unit.department == department)
    if division_code:
        stmt = stmt.where(Unit.division_code == division_code)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    page = max(1, page)
    rows = (
        session.execute(
            stmt.order_by(Unit.division_code, Unit.ordinal, Unit.id)
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
        .scalars()
        .all()
    )
    return Page(items=list(rows), total=total, page=page, page_size=page_size)


def get_unit_for(session: Session, *, actor: Actor, public_id: str) -> Unit:
    """The unit, or ``NotFound`` when it does not exist or lies outside the actor's view."""
    actor.require("units.read")
    unit = session.execute(select(Unit).where(Unit.public_id == public_id)).scalar_one_or_none()
    if unit is None or not sees_unit_at(actor, unit.division_code):
        raise NotFound("unit not found")
    return unit


def get_unit_by_code(session: Session, *, code: str) -> Unit:
    """A unit by its code (no scope: for commands run by an operator)."""
    unit = session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
    if unit is None:
        raise NotFound(f"unknown unit code {code!r}", field="unit_code")
    return unit


def provincial_counterpart(session: Session, unit: Unit) -> Unit:
    """The provincial member unit whose measures this unit carries out at its level."""
    if unit.parent_id is None:
        return unit
    parent = session.get(Unit, unit.parent_id)
    assert parent is not None
    return parent


def unit_above(session: Session, unit: Unit) -> Unit | None:
    """The same department line one level up (county → city → province), or None at the top.

    Where the line has no counterpart at the city (some provincial offices), the provincial
    unit is the one above."""
    abbr = unit.code.split("-", 1)[1]
    if unit.level == "county":
        city = session.execute(
            select(Unit).where(Unit.code == f"{unit.division_code[:4]}00-{abbr}")
        ).scalar_one_or_none()
        if city is not None:
            return city
    if unit.level in ("county", "city"):
        return session.execute(
            select(Unit).where(Unit.code == f"{unit.division_code[:2]}0000-{abbr}")
        ).scalar_one_or_none()
    return None


def user_read(user: User) -> UserRead:
    """The API view of a staff user."""
    return UserRead(
        id=user.public_id,
        username=user.username,
        display_name=user.display_name,
        unit_code=user.unit.code,
        unit_name=user.unit.name,
        roles=sorted(user.role_codes),
        is_active=user.is_active,
    )


def _user_scope(actor: Actor):  # type: ignore[no-untyped-def]
    clauses = [covers_clause(actor, Unit.division_code)]
    # Staff lists follow the department line, except for the system admin who runs accounts.
    if "sys_admin" not in actor.roles and "sec_admin" not in actor.roles:
        clauses.append(Unit.department == actor.department)
    return clauses


def list_users(
    session: Session,
    *,
    actor: Actor,
    unit_public_id: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page:
    """Staff users of the units inside the actor's jurisdiction (and department line)."""
    actor.require("users.read")
    stmt = select(User).join(User.unit).where(*_user_scope(actor))
    if unit_public_id:
        stmt = stmt.where(Unit.public_id == unit_public_id)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = (
        session.execute(
            stmt.order_by(Unit.division_code, User.username)
            .limit(page_size)
            .offset((max(1, page) - 1) * page_size)
        )
        .scalars()
        .all()
    )
    return Page(items=list(rows), total=total, page=max(1, page), page_size=page_size)


def get_user_for(session: Session, *, actor: Actor, public_id: str) -> User:
    """A staff user the actor may see, else ``NotFound``."""
    actor.require("users.read")
    user = session.execute(select(User).where(User.public_id == public_id)).scalar_one_or_none()
    if user is None or not covers(actor, user.unit.division_code):
        raise NotFound("user not found")
    if "sys_admin" not in actor.roles and "sec_admin" not in actor.roles:
        if user.unit.department != actor.department:
            raise NotFound("user not found")
    return user
