"""Reference data every installation has: divisions, roles, the units of the three-level joint
conference, and the bundled plan. Loaded once by ``fanguai db upgrade``; idempotent."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanguai import geo
from fanguai.core.actions import action
from fanguai.core.actor import Actor
from fanguai.org.catalogue import MEMBER_UNITS, OFFICE_ABBR, OFFICE_NAMES
from fanguai.org.models import Division, Role, Unit
from fanguai.security.roles import ROLES

BUNDLED_PLAN_VERSION = "jiangsu-2021"


def _full_name(d: geo.Division, cities: dict[str, geo.Division]) -> str:
    if d.level == "county" and d.name.endswith("区"):
        return cities[d.parent].name + d.name  # two 鼓楼区 exist: say which city
    return d.name


def _build_units(divisions: list[geo.Division], full: dict[str, str]) -> list[Unit]:
    units: list[Unit] = []
    province_units: dict[str, Unit] = {}
    for i, m in enumerate(MEMBER_UNITS, start=1):
        u = Unit(
            code=f"320000-{m.abbr}",
            name=m.name,
            department=m.department,
            level="province",
            division_code="320000",
            plan_name=m.name,
            is_member=True,
            ordinal=i,
        )
        province_units[m.abbr] = u
        units.append(u)
    office = Unit(
        code=f"320000-{OFFICE_ABBR}",
        name=OFFICE_NAMES["province"],
        department="joint_conference",
        level="province",
        division_code="320000",
        is_office=True,
        ordinal=0,
    )
    units.append(office)
    for d in divisions:
        if d.level == "province":
            continue
        stem = d.name[:-1] if d.level == "city" else full[d.code]
        units.append(
            Unit(
                code=f"{d.code}-{OFFICE_ABBR}",
                name=OFFICE_NAMES[d.level].format(d=stem),
                department="joint_conference",
                level=d.level,
                division_code=d.code,
                is_office=True,
                ordinal=0,
                parent=office,
            )
        )
        for i, m in enumerate(MEMBER_UNITS, start=1):
            pattern = m.city if d.level == "city" else m.county
            if pattern is None:
                continue
            units.append(
                Unit(
                    code=f"{d.code}-{m.abbr}",
                    name=pattern.format(d=stem),
                    department=m.department,
                    level=d.level,
                    division_code=d.code,
                    is_member=True,
                    ordinal=i,
                    parent=province_units[m.abbr],
                )
            )
    return units


def ensure_reference_data(session: Session, *, actor: Actor) -> dict[str, int]:
    """Load whatever reference data is missing; returns what was added."""
    added = {"divisions": 0, "roles": 0, "units": 0, "plan_versions": 0}
    have_divisions = session.execute(select(func.count()).select_from(Division)).scalar_one()
    have_roles = {r for (r,) in session.execute(select(Role.code))}
    have_units = session.execute(select(func.count()).select_from(Unit)).scalar_one()
    missing_roles = [r for code, r in ROLES.items() if code not in have_roles]
    if have_divisions == 0 or missing_roles or have_units == 0:
        with action(session, actor, "reference.load", object_type="reference") as act:
            order = {"province": 0, "city": 1, "county": 2}
            divisions = sorted(geo.divisions(), key=lambda d: (order[d.level], d.code))
            cities = {d.code: d for d in divisions if d.level == "city"}
            full = {d.code: _full_name(d, cities) for d in divisions}
            if have_divisions == 0:
                for d in divisions:  # parents before children: the list is ordered by level
                    session.add(
                        Division(
                            code=d.code,
                            name=d.name,
                            full_name=full[d.code],
                            level=d.level,
                            parent_code=d.parent,
                            lat=d.lat,
                            lng=d.lng,
                        )
                    )
                session.flush()
                added["divisions"] = len(divisions)
            for r in missing_roles:
                session.add(Role(code=r.code, name=r.name, is_admin=r.is_admin))
            added["roles"] = len(missing_roles)
            if have_units == 0:
                units = _build_units(divisions, full)
                session.add_all(units)
                added["units"] = len(units)
            act.detail.update(added)
    from fanguai.plan import service as plan_service
    from fanguai.plan.actions import load_plan
    from fanguai.plan.models import PlanVersion

    if session.execute(select(func.count()).select_from(PlanVersion)).scalar_one() == 0:
        load_plan(
            session, actor=actor, text=plan_service.bundled_plan_text(), name=BUNDLED_PLAN_VERSION
        )
        added["plan_versions"] = 1
    return added
