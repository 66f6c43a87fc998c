"""Local implementing rules (实施细则): a city or county joint conference adopts the provincial
measures for its level (each provincial unit replaced by its counterpart there) and adds
measures of its own with its own lead units. Reports follow the rules from the next cycle on."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanguai.accountability.actions import SORT_STEP
from fanguai.accountability.catalogue import NARRATIVE_MIN, TEXT_MAX
from fanguai.accountability.errors import conflict, invalid
from fanguai.accountability.models import LocalMeasure, LocalMeasureUnit, LocalRules
from fanguai.accountability.service import section_of
from fanguai.core.actions import action
from fanguai.core.actor import Actor
from fanguai.errors import NotFound
from fanguai.org.models import Division, Unit
from fanguai.plan import service as plan_service
from fanguai.plan.models import Measure
from fanguai.security.scope import covers, covers_clause


def list_rules(session: Session, *, actor: Actor) -> list[LocalRules]:
    """The local rules of divisions inside the actor's jurisdiction."""
    actor.require("progress.read")
    return list(
        session.execute(
            select(LocalRules)
            .where(covers_clause(actor, LocalRules.division_code))
            .order_by(LocalRules.division_code)
        ).scalars()
    )


def get_rules_for(session: Session, *, actor: Actor, public_id: str) -> LocalRules:
    """Local rules inside the actor's jurisdiction, else NotFound."""
    actor.require("progress.read")
    rules = session.execute(
        select(LocalRules).where(LocalRules.public_id == public_id)
    ).scalar_one_or_none()
    if rules is None or not covers(actor, rules.division_code):
        raise NotFound("local rules not found")
    return rules


def _counterparts(session: Session, division_code: str) -> dict[int, Unit]:
    """Provincial unit id -> its counterpart unit in the division."""
    rows = session.execute(
        select(Unit).where(Unit.division_code == division_code, Unit.parent_id.is_not(None))
    ).scalars()
    return {u.parent_id: u for u in rows if u.parent_id is not None and not u.is_office}


def adoptable(session: Session, division_code: str) -> list[tuple[Measure, list[Unit], list[Unit]]]:
    """Provincial measures with units, and their lead and cooperating units at this division
    (an empty lead list: no counterpart of any lead unit exists there)."""
    local = _counterparts(session, division_code)
    out = []
    for m in plan_service.current_version(session).measures:
        if not m.units:
            continue
        leads = [local[u.unit_id] for u in m.units if u.role == "lead" and u.unit_id in local]
        coop = [local[u.unit_id] for u in m.units if u.role == "cooperating" and u.unit_id in local]
        out.append((m, leads, coop))
    return out


def adopt_rules(
    session: Session,
    *,
    actor: Actor,
    division_code: str,
    title: str,
    measure_codes: list[str] | None = None,
) -> LocalRules:
    """Adopt implementing rules for a city or county: the chosen provincial measures (all that
    have a lead unit at this level when none are chosen), mapped to the local units."""
    with action(session, actor, "progress.adopt_rules", object_type="progress_local_rules") as act:
        actor.require("evaluation.manage")
        division = session.get(Division, division_code)
        if division is None or not covers(actor, division_code):
            raise invalid("progress.error.division", field="division", code=division_code)
        if division.level == "province":
            raise invalid("progress.error.division_level", field="division", code=division_code)
        if not title.strip() or len(title.strip()) > 200:
            raise invalid("progress.error.rules_title", field="title")
        if session.execute(
            select(LocalRules.id).where(LocalRules.division_code == division_code)
        ).first():
            raise conflict("progress.error.rules_exist", field="division", name=division.full_name)
        office = session.execute(
            select(Unit).where(Unit.division_code == division_code, Unit.is_office)
        ).scalar_one()
        candidates = adoptable(session, division_code)
        wanted = set(measure_codes) if measure_codes else None
        if wanted is not None:
            known = {m.code for m, _, _ in candidates}
            unknown = sorted(wanted - known)
            if unknown:
                raise invalid(
                    "progress.error.unknown_measures", field="measures", codes="、".join(unknown)
                )
        rules = LocalRules(
            division_code=division_code,
            office_unit_id=office.id,
            plan_version_id=plan_service.current_version(session).id,
            title=title.strip(),
            adopted_by_id=actor.user_id,
        )
        session.add(rules)
        skipped = []
        for measure, leads, coop in candidates:
            if wanted is not None and measure.code not in wanted:
                continue
            if not leads:
                if wanted is not None:
                    raise invalid(
                        "progress.error.no_local_lead", field="measures", code=measure.code
                    )
                skipped.append(measure.code)
                continue
            rules.measures.append(_adopted(measure, leads, coop))
        session.flush()
        act.object_id = rules.public_id
        act.detail.update(
            {"division": division_code, "measures": len(rules.measures), "skipped": skipped}
        )
    return rules


def _adopted(measure: Measure, leads: list[Unit], coop: list[Unit]) -> LocalMeasure:
    local = LocalMeasure(
        source_measure_id=measure.id,
        section_code=section_of(measure.code),
        code=measure.code,
        text=measure.text,
        sort_key=measure.ordinal * SORT_STEP,
    )
    for i, unit in enumerate(leads + coop):
        local.units.append(
            LocalMeasureUnit(
                unit_id=unit.id, role="lead" if i < len(leads) else "cooperating", ordinal=i
            )
        )
    return local


def add_local_measure(
    session: Session,
    *,
    actor: Actor,
    rules_public_id: str,
    section_code: str,
    text: str,
    lead_unit_codes: list[str],
    cooperating_unit_codes: list[str] | None = None,
) -> LocalMeasure:
    """Add a measure of the division's own, in a section of the plan, with its own lead units."""
    with action(
        session, actor, "progress.add_local_measure", object_type="progress_local_measure"
    ) as act:
        actor.require("evaluation.manage")
        rules = get_rules_for(session, actor=actor, public_id=rules_public_id)
        sections = {
            m.code: m for m in plan_service.current_version(session).measures if m.level == 1
        }
        if section_code not in sections:
            raise invalid("progress.error.section", field="section", code=section_code)
        text = (text or "").strip()
        if not NARRATIVE_MIN <= len(text) <= TEXT_MAX:
            raise invalid(
                "progress.error.measure_text", field="text", lo=NARRATIVE_MIN, hi=TEXT_MAX
            )
        leads = _local_units(session, rules, lead_unit_codes, field="lead_units")
        if not leads:
            raise invalid("progress.error.lead_required", field="lead_units")
        coop = _local_units(session, rules, cooperating_unit_codes or [], field="cooperating_units")
        coop = [u for u in coop if u.id not in {lead.id for lead in leads}]
        measure = LocalMeasure(
            rules_id=rules.id,
            section_code=section_code,
            code="",
            text=text,
            sort_key=0,
        )
        measure.code, measure.sort_key = _next_local_code(session, rules, section_code)
        for i, unit in enumerate(leads + coop):
            measure.units.append(
                LocalMeasureUnit(
                    unit_id=unit.id, role="lead" if i < len(leads) else "cooperating", ordinal=i
                )
            )
        session.add(measure)
        session.flush()
        act.object_id = measure.public_id
        act.detail.update({"division": rules.division_code, "code": measure.code})
    return measure


def _local_units(
    session: Session, rules: LocalRules, codes: list[str], *, field: str
) -> list[Unit]:
    units = []
    for code in dict.fromkeys(c.strip() for c in codes if c.strip()):
        unit = session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
        if unit is None or unit.division_code != rules.division_code or not unit.is_member:
            raise invalid("progress.error.local_unit", field=field, code=code)
        units.append(unit)
    return units


def _next_local_code(session: Session, rules: LocalRules, section: str) -> tuple[str, int]:
    """``二(一)本地1`` and a sort key after the section's last provincial measure."""
    version = plan_service.current_version(session)
    in_section = [m.ordinal for m in version.measures if section_of(m.code) == section]
    base = max(in_section) * SORT_STEP
    taken = session.execute(
        select(func.count()).where(
            LocalMeasure.rules_id == rules.id,
            LocalMeasure.section_code == section,
            LocalMeasure.source_measure_id.is_(None),
        )
    ).scalar_one()
    n = taken + 1
    return f"{section}本地{n}", base + n
