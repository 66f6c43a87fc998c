"""Loading a plan text into the measures catalogue."""

from __future__ import annotations

import hashlib

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fanguai.core.actions import action
from fanguai.core.actor import Actor
from fanguai.errors import Conflict, Forbidden, InvalidInput
from fanguai.org.models import Unit
from fanguai.plan.models import Measure, MeasureUnit, PlanVersion
from fanguai.plan.parser import PlanParseError, parse_plan


def load_plan(
    session: Session, *, actor: Actor, text: str, name: str, make_current: bool = True
) -> PlanVersion:
    """Parse a plan text and store it as a new version (optionally the current one)."""
    if actor.kind == "user":
        raise Forbidden("plans are loaded by an operator on the server")
    try:
        parsed = parse_plan(text)
    except PlanParseError as exc:
        raise InvalidInput(str(exc), field="text") from exc
    with action(
        session,
        actor,
        "plan.load",
        object_type="plan_version",
        detail={"name": name, "measures": len(parsed.measures)},
    ) as act:
        if session.execute(select(PlanVersion.id).where(PlanVersion.name == name)).first():
            raise Conflict(f"plan version {name!r} already loaded", field="name")
        units = {
            u.plan_name: u
            for u in session.execute(
                select(Unit).where(Unit.plan_name.is_not(None), Unit.level == "province")
            ).scalars()
        }
        missing = sorted(set(parsed.member_units) - set(units))
        if missing:
            raise InvalidInput(
                f"member units not in the organisation table: {', '.join(missing)}", field="text"
            )
        if make_current:
            session.execute(update(PlanVersion).values(is_current=False))
        version = PlanVersion(
            name=name,
            title=parsed.title,
            is_current=make_current,
            source_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        )
        session.add(version)
        for m in parsed.measures:
            measure = Measure(
                version=version,
                code=m.code,
                parent_code=m.parent,
                level=m.level,
                ordinal=m.ordinal,
                text=m.text,
                annotation=m.annotation,
            )
            ordinal = 0
            for role, names in (("lead", m.lead_units), ("cooperating", m.cooperating_units)):
                for unit_name in names:
                    ordinal += 1
                    measure.units.append(
                        MeasureUnit(
                            unit_name=unit_name,
                            unit_id=units[unit_name].id,
                            role=role,
                            ordinal=ordinal,
                        )
                    )
            session.add(measure)
        session.flush()
        act.object_id = version.public_id
    return version
