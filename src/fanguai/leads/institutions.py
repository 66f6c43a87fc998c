"""Registered mandatory-reporting institutions (强制报告单位) and the accounts that report for
them. Registered by an operator (``fanguai leads institutions``) under a supervising unit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.core.actions import action
from fanguai.core.actor import Actor
from fanguai.errors import Conflict, InvalidInput, NotFound
from fanguai.leads import catalogue, routing
from fanguai.leads.models import Institution, InstitutionMember
from fanguai.org.models import User
from fanguai.org.service import get_unit_by_code


def register_institution(
    session: Session, *, actor: Actor, name: str, kind: str, county_code: str, unit_code: str
) -> Institution:
    """Register an institution that must report, under the unit that supervises it."""
    name = name.strip()
    if not 2 <= len(name) <= 80:
        raise InvalidInput("the name must have 2 to 80 characters", field="name")
    if kind not in catalogue.INSTITUTION_KINDS:
        raise InvalidInput(
            f"kind must be one of {', '.join(catalogue.INSTITUTION_KINDS)}", field="kind"
        )
    county = routing.county_from_code(county_code)
    with action(session, actor, "leads.institution_register", object_type="institution") as act:
        unit = get_unit_by_code(session, code=unit_code)
        if session.execute(select(Institution.id).where(Institution.name == name)).first():
            raise Conflict(f"an institution named {name!r} is registered already", field="name")
        institution = Institution(
            name=name, kind=kind, county_code=county, supervising_unit_id=unit.id
        )
        session.add(institution)
        session.flush()
        act.object_id = institution.public_id
        act.detail.update({"kind": kind, "county": county, "unit": unit_code})
    return institution


def add_member(session: Session, *, actor: Actor, username: str, institution_name: str) -> None:
    """Let a staff account with the mandatory_reporter role report for the institution."""
    with action(session, actor, "leads.institution_member", object_type="institution") as act:
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise NotFound(f"no user {username!r}", field="username")
        if "mandatory_reporter" not in user.role_codes:
            raise InvalidInput("the account needs the mandatory_reporter role", field="username")
        institution = session.execute(
            select(Institution).where(Institution.name == institution_name)
        ).scalar_one_or_none()
        if institution is None:
            raise NotFound(f"no institution {institution_name!r}", field="institution")
        act.object_id = institution.public_id
        act.detail["user"] = user.public_id
        member = session.get(InstitutionMember, user.id)
        if member is None:
            session.add(InstitutionMember(user_id=user.id, institution_id=institution.id))
        else:
            member.institution_id = institution.id


def list_institutions(session: Session) -> list[Institution]:
    """Every registered institution, by county and name."""
    return list(
        session.execute(
            select(Institution).order_by(Institution.county_code, Institution.name)
        ).scalars()
    )
