"""State changes of a lead once it is in: acknowledge, transfer, record an outcome, open a
missing-child case, release from quarantine (submission lives in fanguai.leads.intake).

Each change names the version of the lead it was made against; another version answers 409
(G1: no lost updates)."""

from __future__ import annotations

import importlib
import json
import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from fanguai import geo
from fanguai.core.actions import action
from fanguai.core.actor import Actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.db import utcnow
from fanguai.errors import Conflict, DomainError, InvalidInput, NotFound
from fanguai.leads import catalogue, routing, service
from fanguai.leads.models import Lead, LeadEvent
from fanguai.org.models import Unit
from fanguai.outbox import enqueue
from fanguai.tasks.service import close_tasks, create_task

# The category a missing-child case opened from a lead starts with: the reporter rarely knows
# whether the child ran away, got lost or was taken (the case leader sets it later).
CASE_CATEGORY = "other"


class CaseModuleUnavailable(DomainError):
    """The missing-child case module (fanguai.alerts) cannot open a case from a lead yet."""

    status_code = 503
    code = "case_module_unavailable"

    def __init__(self) -> None:
        super().__init__("the missing-child case module is not available")


def _save(session: Session) -> None:
    """Flush; a concurrent change of the same lead (version mismatch) becomes a 409."""
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("the lead changed meanwhile; reload it", field="version") from None


def event(
    session: Session,
    crypto: FieldCrypto,
    lead: Lead,
    kind: str,
    *,
    at: datetime,
    actor: Actor | None = None,
    from_unit: Unit | None = None,
    to_unit: Unit | None = None,
    note: str | None = None,
) -> None:
    session.add(
        LeadEvent(
            lead_id=lead.id,
            at=at,
            kind=kind,
            user_id=actor.user_id if actor is not None else None,
            from_unit_id=from_unit.id if from_unit else None,
            to_unit_id=to_unit.id if to_unit else None,
            note=service.seal_event_note(crypto, lead, note),
        )
    )


def _task_title(lead: Lead) -> str:
    from fanguai.web.i18n import translate

    kind = translate(f"leads.type.{lead.lead_type}")
    urgent = translate("leads.urgency.urgent") if lead.urgency == "urgent" else ""
    return f"{urgent}线索待签收：{kind}（{lead.tracking_code}）".strip()


def start_deadline(
    session: Session, lead: Lead, unit: Unit, *, start: datetime, created_at: datetime | None = None
) -> None:
    """Set the acknowledgement deadline and track it as a task of the unit (tasks.sweep
    escalates it to the unit above when it passes). ``created_at``: what the task keeps of
    the time it was made (the hour, for a public lead)."""
    lead.ack_due_at = routing.ack_deadline(lead.urgency, start=start)
    create_task(
        session,
        kind=service.TASK_KIND,
        title=_task_title(lead),
        subject_type=service.SUBJECT_TYPE,
        subject_id=lead.public_id,
        owner_unit=unit,
        due_at=lead.ack_due_at,
        now=created_at or start,
    )


def notify(session: Session, kind: str, lead: Lead, unit: Unit) -> None:
    enqueue(
        session,
        kind=kind,
        unit_id=unit.id,
        payload={"lead": lead.public_id, "urgency": lead.urgency, "type": lead.lead_type},
    )


def _editable(session: Session, actor: Actor, public_id: str, version: int) -> Lead:
    actor.require("leads.handle")
    lead = service.get_lead_for(session, actor=actor, public_id=public_id, lock=True)
    service.check_version(lead, version)
    return lead


def _mark_acknowledged(
    session: Session, crypto: FieldCrypto, lead: Lead, actor: Actor, now: datetime
) -> None:
    lead.status = "acknowledged"
    lead.acknowledged_at = now
    lead.acknowledged_by_id = actor.user_id
    if lead.ack_minutes is None:
        start = lead.received_at or lead.received_hour
        lead.ack_minutes = max(0, int((now - start).total_seconds() // 60))
        lead.ack_in_time = now <= lead.ack_due_at
    close_tasks(
        session,
        subject_type=service.SUBJECT_TYPE,
        subject_id=lead.public_id,
        kind=service.TASK_KIND,
        by_user_id=actor.user_id,
        now=now,
    )
    event(session, crypto, lead, "acknowledged", at=now, actor=actor, to_unit=lead.owner_unit)


def acknowledge(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    public_id: str,
    version: int,
    now: datetime | None = None,
) -> Lead:
    """The owner unit confirms it has the lead (签收); closes the deadline task."""
    now = now or utcnow()
    with action(session, actor, "leads.acknowledge", object_type="lead", object_id=public_id):
        lead = _editable(session, actor, public_id, version)
        if lead.status != "received":
            raise Conflict(
                f"the lead is {lead.status}, not waiting for acknowledgement", field="status"
            )
        _mark_acknowledged(session, crypto, lead, actor, now)
        _save(session)
    return lead


def transfer(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    public_id: str,
    version: int,
    unit_code: str,
    reason: str,
    now: datetime | None = None,
) -> Lead:
    """Hand the lead to another unit (移交) with a reason; that unit's deadline starts now."""
    now = now or utcnow()
    with action(
        session,
        actor,
        "leads.transfer",
        object_type="lead",
        object_id=public_id,
        detail={"to": unit_code},
    ):
        lead = _editable(session, actor, public_id, version)
        if lead.status not in catalogue.OPEN_STATUSES:
            raise Conflict(f"a {lead.status} lead cannot be transferred", field="status")
        target = routing.unit_by_code(session, unit_code)
        if target.id == lead.owner_unit_id:
            raise InvalidInput("the lead is already with that unit", field="unit_code")
        source = lead.owner_unit
        close_tasks(
            session,
            subject_type=service.SUBJECT_TYPE,
            subject_id=lead.public_id,
            kind=service.TASK_KIND,
            status="cancelled",
            note="transferred",
            by_user_id=actor.user_id,
            now=now,
        )
        lead.owner_unit_id = target.id
        lead.owner_unit = target
        lead.status = "received"
        start_deadline(session, lead, target, start=now)
        event(
            session,
            crypto,
            lead,
            "transferred",
            at=now,
            actor=actor,
            from_unit=source,
            to_unit=target,
            note=reason,
        )
        notify(session, "lead.transferred", lead, target)
        _save(session)
    return lead


def _merge_target(session: Session, actor: Actor, lead: Lead, tracking_code: str | None) -> Lead:
    if not tracking_code:
        raise InvalidInput("name the lead this one merges into", field="merged_into")
    code = service.normal_tracking_code(tracking_code)
    target = session.execute(select(Lead).where(Lead.tracking_code == code)).scalar_one_or_none()
    if target is None or not service.in_scope(actor, target) or target.id == lead.id:
        raise InvalidInput(
            "no other lead with that tracking code in your scope", field="merged_into"
        )
    return target


def record_outcome(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    public_id: str,
    version: int,
    outcome: str,
    note: str | None = None,
    merged_into: str | None = None,
    case_id: str | None = None,
    now: datetime | None = None,
) -> Lead:
    """Close the lead with its outcome (属实, 不属实, 合并, 已立案); the reporter sees "closed"."""
    now = now or utcnow()
    if outcome not in catalogue.OUTCOMES:
        raise InvalidInput(f"unknown outcome {outcome!r}", field="outcome")
    with action(
        session,
        actor,
        "leads.outcome",
        object_type="lead",
        object_id=public_id,
        detail={"outcome": outcome},
    ):
        lead = _editable(session, actor, public_id, version)
        if lead.status == "received":
            raise Conflict("acknowledge the lead before recording its outcome", field="status")
        if lead.status == "closed":
            raise Conflict("the lead is already closed", field="status")
        if lead.status == "quarantined" and outcome not in ("unsubstantiated", "merged"):
            raise Conflict("release the lead from quarantine first", field="status")
        if outcome == "merged":
            lead.merged_into_id = _merge_target(session, actor, lead, merged_into).id
        if outcome == "case_opened":
            if not case_id:
                raise InvalidInput("give the case's id", field="case_id")
            lead.case_public_id = case_id
        _close(session, crypto, lead, actor, outcome, note, now)
        _save(session)
    return lead


def _close(
    session: Session,
    crypto: FieldCrypto,
    lead: Lead,
    actor: Actor,
    outcome: str,
    note: str | None,
    now: datetime,
) -> None:
    lead.status = "closed"
    lead.outcome = outcome
    lead.closed_at = now
    lead.closed_by_id = actor.user_id
    lead.outcome_note = service.seal(crypto, lead, "outcome_note", note)
    close_tasks(
        session,
        subject_type=service.SUBJECT_TYPE,
        subject_id=lead.public_id,
        status="cancelled",
        note="closed",
        by_user_id=actor.user_id,
        now=now,
    )
    event(session, crypto, lead, "outcome", at=now, actor=actor, note=outcome)


def release(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    public_id: str,
    version: int,
    now: datetime | None = None,
) -> Lead:
    """Take a quarantined lead into the inbox (a person wrote it after all)."""
    now = now or utcnow()
    with action(session, actor, "leads.release", object_type="lead", object_id=public_id):
        lead = _editable(session, actor, public_id, version)
        if lead.status != "quarantined":
            raise Conflict("the lead is not in quarantine", field="status")
        lead.status = "received"
        start_deadline(session, lead, lead.owner_unit, start=now)
        event(session, crypto, lead, "released", at=now, actor=actor)
        notify(session, "lead.received", lead, lead.owner_unit)
        _save(session)
    return lead


def _age_years(text: str | None) -> int | None:
    """The first whole number in what the reporter wrote (约6岁 → 6), if it is a child's age."""
    match = re.search(r"\d+", text or "")
    return int(match.group()) if match and int(match.group()) < 18 else None


def case_child(crypto: FieldCrypto, lead: Lead) -> dict[str, Any]:
    """The child as the missing-child case takes it: name, sex, age in years, description."""
    raw = service.decrypt(crypto, lead, "child")
    child = json.loads(raw) if raw else {}
    described = [child.get("features"), service.decrypt(crypto, lead, "description")]
    return {
        "name": child.get("name"),
        "sex": child.get("sex") or "unknown",
        "age": _age_years(child.get("age")),
        "description": "；".join(d for d in described if d)[:1000],
    }


def case_service() -> Any | None:
    """The alerts service if it can open a case from a lead, else None."""
    try:
        module = importlib.import_module("fanguai.alerts.service")
    except ImportError:
        return None
    return module if hasattr(module, "open_case_from_lead") else None


def open_case(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    public_id: str,
    version: int,
    now: datetime | None = None,
) -> Lead:
    """A child missing now: open the missing-child case in one step and close the lead with it."""
    now = now or utcnow()
    with action(session, actor, "leads.open_case", object_type="lead", object_id=public_id) as act:
        actor.require("cases.manage")
        lead = _editable(session, actor, public_id, version)
        if lead.lead_type != "missing_now":
            raise Conflict(
                "only a lead about a child missing now opens a case in one step", field="status"
            )
        if lead.status not in catalogue.OPEN_STATUSES:
            raise Conflict(f"a {lead.status} lead cannot open a case", field="status")
        cases = case_service()
        if cases is None:
            raise CaseModuleUnavailable()
        if lead.status == "received":
            _mark_acknowledged(session, crypto, lead, actor, now)
        point = service.decrypt(crypto, lead, "point")
        lat, lng = (float(v) for v in point.split(",")) if point else (None, None)
        place = service.decrypt(crypto, lead, "place_text")
        case = cases.open_case_from_lead(
            session,
            actor=actor,
            lead_public_id=lead.public_id,
            child=case_child(crypto, lead),
            last_seen_place=place or geo.get_division(lead.county_code).name,
            last_seen_lat=lat,
            last_seen_lng=lng,
            last_seen_at=lead.last_seen_at or lead.received_at or lead.received_hour,
            category=CASE_CATEGORY,
        )
        lead.case_public_id = case.public_id
        act.detail["case"] = case.public_id
        _close(session, crypto, lead, actor, "case_opened", None, now)
        _save(session)
    return lead


def lead_by_tracking_code(session: Session, *, actor: Actor, tracking_code: str) -> Lead:
    """A lead in scope by its tracking code (the hotline's way of finding one)."""
    code = service.normal_tracking_code(tracking_code)
    lead = session.execute(select(Lead).where(Lead.tracking_code == code)).scalar_one_or_none()
    if lead is None or not service.in_scope(actor, lead):
        raise NotFound("lead not found")
    return lead
