"""State changes of the victim file: each one action (one transaction, one audit record).

Checks that need the stored file run inside the action, so a refused change is audited as
well, and a change that fails half-way leaves nothing behind (the transaction rolls back).
Audit records name the file and what kind of thing changed, never a value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.core.actions import action
from fanguai.core.actor import Actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.db import new_public_id, utcnow
from fanguai.errors import Forbidden, NotFound
from fanguai.org.models import Division, Unit, User
from fanguai.outbox import enqueue
from fanguai.people.actions import checkpoint_wal
from fanguai.people.models import Person
from fanguai.people.service import age_on
from fanguai.security.roles import permissions_for
from fanguai.security.scope import covers
from fanguai.tasks import service as tasks
from fanguai.victims import catalogue as c
from fanguai.victims import service
from fanguai.victims.errors import (
    VictimConflict,
    VictimForbidden,
    VictimInputError,
    error_field,
    pydantic_key,
)
from fanguai.victims.models import (
    DesignatedHospital,
    VictimAssessment,
    VictimConsent,
    VictimFile,
    VictimReferral,
    VictimService,
)
from fanguai.victims.schemas import (
    DETAIL_MODELS,
    AssessmentCreate,
    CloseFile,
    ConsentCreate,
    ConsentWithdraw,
    FileBasics,
    FileCreate,
    HospitalCreate,
    HospitalWithdraw,
    HukouStep,
    IdentityUpdate,
    ProfileUpdate,
    ReferralCreate,
    ServiceCreate,
    ServiceEnd,
    TimelineEvent,
)

REFERRAL_DAYS = 5


# --- shared checks -----------------------------------------------------------------------------


def _require_open(file: VictimFile) -> None:
    if file.status == "closed" or file.erased_at is not None:
        raise VictimConflict("closed_file", "the file is closed: nothing can be added to it")


def _check_day(day: date, *, file: VictimFile, today: date, field: str) -> None:
    """A day of care: not before the day of reception, not in the future."""
    if day > today:
        raise VictimInputError("future_date", "the date lies in the future", field=field)
    if day < service.beijing_date(file.received_at):
        raise VictimInputError(
            "before_received", "the date lies before the victim was received", field=field
        )


def _check_span(
    started: date, ended: date | None, *, file: VictimFile, today: date, prefix: str = ""
) -> None:
    _check_day(started, file=file, today=today, field=f"{prefix}started_on")
    if ended is not None:
        if ended < started:
            raise VictimInputError(
                "end_before_start",
                "the end date lies before the start date",
                field=f"{prefix}ended_on",
            )
        _check_day(ended, file=file, today=today, field=f"{prefix}ended_on")


@dataclass(frozen=True)
class _AgeFacts:
    birth_date: date | None
    age: int | None
    age_min: int | None
    age_max: int | None


def _age_at_reception(facts: _AgeFacts, received: date) -> tuple[int | None, int | None]:
    """The age bounds on the day of reception; refuses an age that contradicts the birth date."""
    lo, hi = facts.age_min, facts.age_max
    if lo is not None and hi is not None and lo > hi:
        raise VictimInputError("age_range", "age_min must not exceed age_max", field="age_min")
    if facts.birth_date is not None:
        if facts.birth_date > received:
            raise VictimInputError(
                "birth_after_received",
                "the birth date lies after the day of reception",
                field="birth_date",
            )
        exact = age_on(facts.birth_date, received)
        if facts.age is not None and facts.age != exact:
            raise VictimInputError(
                "age_contradicts_birth",
                f"age {facts.age} contradicts the birth date ({exact} on the day of reception)",
                field="age",
            )
        if (lo is not None and exact < lo) or (hi is not None and exact > hi):
            raise VictimInputError(
                "age_contradicts_birth",
                f"the estimated age range contradicts the birth date ({exact})",
                field="age_min",
            )
        return exact, exact
    if facts.age is not None:
        if (lo is not None and facts.age < lo) or (hi is not None and facts.age > hi):
            raise VictimInputError(
                "age_outside_range", "the age lies outside the estimated range", field="age"
            )
        return facts.age, facts.age
    return lo, hi


def _check_person(session: Session, person_id: str | None) -> None:
    if person_id is None:
        return
    found = session.execute(select(Person.id).where(Person.public_id == person_id)).first()
    if found is None:
        raise VictimInputError("unknown_person", "no such person record", field="person_id")


def _seal_file(crypto: FieldCrypto, file: VictimFile, column: str, value: str | None) -> None:
    setattr(
        file,
        column,
        service.seal(
            crypto, file, table="victim_file", column=column, row_id=file.public_id, value=value
        ),
    )


# --- opening a file ----------------------------------------------------------------------------


def create_file(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    data: FileCreate,
    now: datetime | None = None,
) -> VictimFile:
    """Receive a victim: open the special file for the actor's unit, the actor its caseworker."""
    now = now or utcnow()
    with action(session, actor, "victims.create", object_type="victim_file") as act:
        actor.require("victims.manage")
        if actor.unit_id is None or actor.department not in c.FILE_LINES:
            raise Forbidden("victim files are kept by civil affairs and police units")
        received = service.check_received(data.received_at, now)
        lo, hi = _age_at_reception(
            _AgeFacts(data.birth_date, data.age, data.age_min, data.age_max), received
        )
        _check_person(session, data.person_id)
        unit = session.get(Unit, actor.unit_id)
        assert unit is not None
        file = service.new_file(unit, received_at=data.received_at, now=now)
        file.caseworker_id = actor.user_id
        file.sex = data.sex
        file.age_min, file.age_max = lo, hi
        file.nationality = data.nationality
        file.origin_county = data.origin_county
        file.wants_work = data.wants_work
        file.person_public_id = data.person_id
        file.found_person_public_id = data.found_person_id
        file.identified_on = received if data.identified else None
        _seal_file(crypto, file, "name", data.name)
        _seal_file(
            crypto, file, "birth_date", data.birth_date.isoformat() if data.birth_date else None
        )
        _seal_file(crypto, file, "notes", data.notes)
        session.add(file)
        session.flush()
        act.object_id = file.public_id
        act.detail["file_no"] = file.file_no
        enqueue(
            session,
            kind="victims.file_opened",
            unit_id=unit.id,
            payload={"file": file.public_id, "file_no": file.file_no},
        )
    return file


def update_basics(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    public_id: str,
    data: FileBasics,
    now: datetime | None = None,
) -> VictimFile:
    """Change what is known of the victim; only the fields sent change."""
    given = data.model_fields_set
    with action(
        session,
        actor,
        "victims.update",
        object_type="victim_file",
        object_id=public_id,
        detail={"fields": sorted(given)},
    ):
        file = service.get_file_to_manage(session, actor=actor, public_id=public_id)
        _require_open(file)
        received = service.beijing_date(file.received_at)
        stored_birth = service.birth_date_of(crypto, file)
        birth = data.birth_date if "birth_date" in given else stored_birth
        fresh = bool(given & {"birth_date", "age", "age_min", "age_max"})
        facts = _AgeFacts(
            birth_date=birth,
            age=data.age,
            age_min=data.age_min if "age_min" in given else (None if fresh else file.age_min),
            age_max=data.age_max if "age_max" in given else (None if fresh else file.age_max),
        )
        if fresh:
            file.age_min, file.age_max = _age_at_reception(facts, received)
        for column in ("sex", "nationality", "origin_county", "wants_work"):
            if column in given:
                setattr(file, column, getattr(data, column))
        if "name" in given:
            _seal_file(crypto, file, "name", data.name)
        if "birth_date" in given:
            _seal_file(crypto, file, "birth_date", birth.isoformat() if birth else None)
        if "notes" in given:
            _seal_file(crypto, file, "notes", data.notes)
    return file


# --- the victim profile (IOM case data standard) -----------------------------------------------


def _check_timeline(events: list[TimelineEvent], received: date) -> None:
    order = {stage: i for i, stage in enumerate(c.TIMELINE_STAGES)}
    for i, event in enumerate(events):
        if event.end is not None and event.end < event.start:
            raise VictimInputError(
                "end_before_start", "the end lies before the start", field=f"timeline.{i}.end"
            )
        for name, day in (("start", event.start), ("end", event.end)):
            if day is not None and day > received:
                raise VictimInputError(
                    "after_received",
                    "the date lies after the victim was received",
                    field=f"timeline.{i}.{name}",
                )
        for other in events:
            if order[other.stage] < order[event.stage] and event.start < other.start:
                raise VictimInputError(
                    "timeline_order",
                    f"{event.stage} starts before {other.stage} began",
                    field=f"timeline.{i}.start",
                )


def set_profile(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    public_id: str,
    data: ProfileUpdate,
) -> VictimFile:
    """Record the exploitation history (replacing the previous profile)."""
    with action(session, actor, "victims.profile", object_type="victim_file", object_id=public_id):
        file = service.get_file_to_manage(session, actor=actor, public_id=public_id)
        _require_open(file)
        _check_timeline(data.timeline, service.beijing_date(file.received_at))
        profile = data.model_dump(mode="json")
        profile["exploitation_types"] = sorted(set(profile["exploitation_types"]))
        profile["means_of_control"] = sorted(set(profile["means_of_control"]))
        _seal_file(crypto, file, "exploitation", json.dumps(profile, ensure_ascii=False))
    return file


def add_assessment(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    public_id: str,
    data: AssessmentCreate,
    now: datetime | None = None,
) -> VictimAssessment:
    """Record a needs assessment."""
    today = service.today_in_beijing(now)
    with action(
        session, actor, "victims.assessment", object_type="victim_file", object_id=public_id
    ) as act:
        file = service.get_file_to_manage(session, actor=actor, public_id=public_id)
        _require_open(file)
        _check_day(data.assessed_on, file=file, today=today, field="assessed_on")
        assessment = VictimAssessment(
            public_id=new_public_id(),
            file_id=file.id,
            assessed_on=data.assessed_on,
            needs=sorted(set(data.needs)),
            priority=data.priority,
            assessed_by_id=actor.user_id,
        )
        assessment.notes = service.seal(
            crypto,
            file,
            table="victim_assessment",
            column="notes",
            row_id=assessment.public_id,
            value=data.notes,
        )
        session.add(assessment)
        act.detail["assessment"] = assessment.public_id
    return assessment


# --- consent -----------------------------------------------------------------------------------


def add_consent(
    session: Session,
    *,
    actor: Actor,
    public_id: str,
    data: ConsentCreate,
    now: datetime | None = None,
) -> VictimConsent:
    """Record the victim's (or guardian's) consent to share the file with a line."""
    today = service.today_in_beijing(now)
    with action(
        session,
        actor,
        "victims.consent",
        object_type="victim_file",
        object_id=public_id,
        detail={"scope": data.scope, "given_by": data.given_by},
    ) as act:
        file = service.get_file_to_manage(session, actor=actor, public_id=public_id)
        _require_open(file)
        _check_day(data.given_on, file=file, today=today, field="given_on")
        consent = VictimConsent(
            file_id=file.id,
            scope=data.scope,
            given_by=data.given_by,
            given_on=data.given_on,
            recorded_by_id=actor.user_id,
        )
        session.add(consent)
        session.flush()
        act.detail["consent"] = consent.public_id
    return consent


def withdraw_consent(
    session: Session,
    *,
    actor: Actor,
    public_id: str,
    consent_id: str,
    data: ConsentWithdraw,
    now: datetime | None = None,
) -> VictimConsent:
    """Record that consent was withdrawn (pending referrals relying on it can no longer go on)."""
    today = service.today_in_beijing(now)
    with action(
        session,
        actor,
        "victims.consent_withdraw",
        object_type="victim_file",
        object_id=public_id,
        detail={"consent": consent_id},
    ):
        file = service.get_file_to_manage(session, actor=actor, public_id=public_id)
        consent = session.execute(
            select(VictimConsent).where(
                VictimConsent.public_id == consent_id, VictimConsent.file_id == file.id
            )
        ).scalar_one_or_none()
        if consent is None:
            raise NotFound("consent not found")
        if consent.withdrawn_on is not None:
            raise VictimConflict("already_withdrawn", "consent already withdrawn")
        if data.withdrawn_on > today:
            raise VictimInputError(
                "future_date", "the date lies in the future", field="withdrawn_on"
            )
        if data.withdrawn_on < consent.given_on:
            raise VictimInputError(
                "end_before_start", "withdrawn before it was given", field="withdrawn_on"
            )
        consent.withdrawn_on = data.withdrawn_on
    return consent


# --- services ----------------------------------------------------------------------------------


def parse_details(kind: str, raw: dict[str, Any]) -> BaseModel:
    """The kind's details, validated; errors name the field as ``details.<name>``."""
    try:
        return DETAIL_MODELS[kind].model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise VictimInputError(
            pydantic_key(first["type"]),
            first["msg"],
            field=error_field(("details", *first["loc"])),
        ) from None


def _open_shelter_stays(session: Session, file: VictimFile) -> list[VictimService]:
    return [s for s in service.services_of(session, file, ("shelter",)) if s.ended_on is None]


def _on_shelter(session: Session, file: VictimFile, svc: VictimService, details: Any) -> None:
    if svc.ended_on is None and _open_shelter_stays(session, file):
        raise VictimConflict(
            "shelter_open", "the victim is still in a shelter: record the day out first"
        )


def _active_hospital(session: Session, public_id: str) -> DesignatedHospital:
    hospital = session.execute(
        select(DesignatedHospital).where(
            DesignatedHospital.public_id == public_id, DesignatedHospital.withdrawn_on.is_(None)
        )
    ).scalar_one_or_none()
    if hospital is None:
        raise VictimInputError(
            "unknown_hospital",
            "not a designated hospital of the registry",
            field="details.hospital",
        )
    return hospital


def _on_medical(session: Session, file: VictimFile, svc: VictimService, details: Any) -> None:
    hospital = _active_hospital(session, details.hospital)
    svc.hospital_id = hospital.id
    details.provider = hospital.name
    if details.insurance_paid is not None and details.total_cost is None:
        raise VictimInputError(
            "required",
            "the total cost is needed with the insurance share",
            field="details.total_cost",
        )
    if details.total_cost is not None:
        insured = details.insurance_paid or Decimal("0")
        if insured > details.total_cost:
            raise VictimInputError(
                "insurance_exceeds_total",
                "the insurance share exceeds the total cost",
                field="details.insurance_paid",
            )


def _on_schooling(session: Session, file: VictimFile, svc: VictimService, details: Any) -> None:
    tasks.close_tasks(
        session,
        subject_type=service.FILE_SUBJECT,
        subject_id=file.public_id,
        kind="victims.school_placement",
        note="placement recorded",
        by_user_id=svc.recorded_by_id,
    )


def _on_employment(session: Session, file: VictimFile, svc: VictimService, details: Any) -> None:
    tasks.close_tasks(
        session,
        subject_type=service.FILE_SUBJECT,
        subject_id=file.public_id,
        kind="victims.employment",
        note="employment service recorded",
        by_user_id=svc.recorded_by_id,
    )


def _on_return(session: Session, file: VictimFile, svc: VictimService, details: Any) -> None:
    if file.status == "returned":
        raise VictimConflict("already_returned", "the return home is already recorded")
    for stay in _open_shelter_stays(session, file):
        if stay.started_on > svc.started_on:
            raise VictimInputError(
                "before_shelter",
                "the return lies before the current shelter stay began",
                field="started_on",
            )
        # The stay ends on the day the victim goes home.
        stay.ended_on = svc.started_on
    file.status = "returned"


def _return_day(session: Session, file: VictimFile) -> date | None:
    returns = service.services_of(session, file, ("return_home",))
    return returns[0].started_on if returns else None


def _on_followup(session: Session, file: VictimFile, svc: VictimService, details: Any) -> None:
    returned = _return_day(session, file)
    if file.status != "returned" or returned is None:
        raise VictimConflict("no_return", "follow-up visits come after the return home")
    if details.month not in c.FOLLOWUP_MONTHS:
        raise VictimInputError("bad_choice", "the month is 1, 3, 6 or 12", field="details.month")
    if svc.started_on < returned:
        raise VictimInputError(
            "before_return", "the visit lies before the return home", field="started_on"
        )
    done = {s.followup_month for s in service.services_of(session, file, ("followup",))}
    if details.month in done:
        raise VictimConflict("followup_twice", "this follow-up visit is already recorded")
    svc.followup_month = details.month
    tasks.close_tasks(
        session,
        subject_type=service.FILE_SUBJECT,
        subject_id=file.public_id,
        kind=f"victims.followup_{details.month}",
        note="visit recorded",
        by_user_id=svc.recorded_by_id,
    )


def _no_hook(session: Session, file: VictimFile, svc: VictimService, details: Any) -> None:
    return None


_KIND_HOOKS = {
    "shelter": _on_shelter,
    "medical": _on_medical,
    "schooling": _on_schooling,
    "employment": _on_employment,
    "return_home": _on_return,
    "followup": _on_followup,
}


def _details_json(details: BaseModel) -> str:
    data = details.model_dump(mode="json", exclude_none=True)
    if isinstance(details, DETAIL_MODELS["medical"]) and details.total_cost is not None:
        # The part left after basic medical insurance is borne by the government (二(三)1(6)).
        insured = details.insurance_paid or Decimal("0")
        data["government_paid"] = str(details.total_cost - insured)
    return json.dumps(data, ensure_ascii=False)


def record_service(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    public_id: str,
    data: ServiceCreate,
    sector: bool = False,
    now: datetime | None = None,
) -> VictimService:
    """Record a service. Sector officers (``sector=True``) record only their line's kinds."""
    today = service.today_in_beijing(now)
    with action(
        session,
        actor,
        "victims.service",
        object_type="victim_file",
        object_id=public_id,
        detail={"kind": data.kind, "sector": sector},
    ) as act:
        if sector:
            file, line = service.get_file_for_sector(session, actor=actor, public_id=public_id)
            if data.kind not in c.SECTOR_KINDS[line]:
                raise VictimForbidden(
                    "kind_not_yours", f"{line} does not record {data.kind}", field="kind"
                )
        else:
            file = service.get_file_to_manage(session, actor=actor, public_id=public_id)
        _require_open(file)
        details = parse_details(data.kind, data.details)
        _check_span(data.started_on, data.ended_on, file=file, today=today)
        svc = VictimService(
            public_id=new_public_id(),
            file_id=file.id,
            kind=data.kind,
            started_on=data.started_on,
            ended_on=data.ended_on,
            recorded_by_id=actor.user_id,
            recorded_unit_id=actor.unit_id,
        )
        _KIND_HOOKS.get(data.kind, _no_hook)(session, file, svc, details)
        svc.details = service.seal(
            crypto,
            file,
            table="victim_service",
            column="details",
            row_id=svc.public_id,
            value=_details_json(details),
        )
        session.add(svc)
        act.detail["service"] = svc.public_id
    return svc


def end_service(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    public_id: str,
    service_id: str,
    data: ServiceEnd,
    now: datetime | None = None,
) -> VictimService:
    """Record the end of a running service (a shelter stay: the day out) and its outcome."""
    today = service.today_in_beijing(now)
    with action(
        session,
        actor,
        "victims.service_end",
        object_type="victim_file",
        object_id=public_id,
        detail={"service": service_id},
    ):
        file = service.get_file_to_manage(session, actor=actor, public_id=public_id)
        _require_open(file)
        svc = session.execute(
            select(VictimService).where(
                VictimService.public_id == service_id, VictimService.file_id == file.id
            )
        ).scalar_one_or_none()
        if svc is None:
            raise NotFound("service not found")
        if svc.ended_on is not None:
            raise VictimConflict("already_ended", "the service has already ended")
        _check_span(svc.started_on, data.ended_on, file=file, today=today)
        svc.ended_on = data.ended_on
        if data.outcome:
            details = service.details_of(crypto, file, svc)
            details["outcome"] = data.outcome
            svc.details = service.seal(
                crypto,
                file,
                table="victim_service",
                column="details",
                row_id=svc.public_id,
                value=json.dumps(details, ensure_ascii=False),
            )
    return svc


# --- referrals ---------------------------------------------------------------------------------


def _covering_consent(
    session: Session, file: VictimFile, line: str, consent_id: str | None
) -> VictimConsent | None:
    """The consent the referral relies on: the one named, or any active one for the line."""
    rows = [x for x in service.consents_of(session, file) if x.scope in (line, "all")]
    active = [x for x in rows if x.withdrawn_on is None]
    if consent_id is None:
        return active[-1] if active else None
    named = next((x for x in service.consents_of(session, file) if x.public_id == consent_id), None)
    if named is None or named not in rows:
        raise VictimInputError(
            "consent_scope", "that consent does not cover this line", field="consent_id"
        )
    if named.withdrawn_on is not None:
        raise VictimInputError(
            "consent_withdrawn", "that consent was withdrawn", field="consent_id"
        )
    return named


def refer(
    session: Session,
    *,
    actor: Actor,
    public_id: str,
    data: ReferralCreate,
    now: datetime | None = None,
) -> VictimReferral:
    """Refer the victim to a unit, with consent or a documented override (audited high)."""
    now = now or utcnow()
    override = data.override_reason is not None
    detail: dict[str, Any] = {"kind": data.kind, "to_unit": data.to_unit, "override": override}
    if override:
        detail["override_reason"] = data.override_reason
    with action(
        session,
        actor,
        "victims.refer",
        object_type="victim_file",
        object_id=public_id,
        detail=detail,
        priority="high" if override else "normal",
    ) as act:
        file = service.get_file_to_manage(session, actor=actor, public_id=public_id)
        _require_open(file)
        unit = session.execute(select(Unit).where(Unit.code == data.to_unit)).scalar_one_or_none()
        if unit is None:
            raise VictimInputError("unknown_unit", "no unit with that code", field="to_unit")
        if data.kind not in c.SECTOR_KINDS.get(unit.department, ()):
            raise VictimInputError(
                "unit_line", f"that unit's line does not provide {data.kind}", field="to_unit"
            )
        consent = _covering_consent(session, file, unit.department, data.consent_id)
        if consent is None and not override:
            raise VictimInputError(
                "no_consent",
                "a referral needs the victim's consent for this line, or a documented override",
                field="consent_id",
            )
        _refuse_open_duplicate(session, file, unit, data.kind)
        referral = VictimReferral(
            file_id=file.id,
            from_unit_id=file.owner_unit_id,
            to_unit_id=unit.id,
            kind=data.kind,
            status="pending",
            consent_id=consent.id if consent else None,
            override_reason=data.override_reason,
            note=data.note,
            requested_by_id=actor.user_id,
            requested_at=now,
        )
        session.add(referral)
        session.flush()
        _referral_task(session, referral, file, unit, now)
        act.detail["referral"] = referral.public_id
    return referral


def _refuse_open_duplicate(session: Session, file: VictimFile, unit: Unit, kind: str) -> None:
    for r in service.referrals_of(session, file):
        if r.to_unit_id == unit.id and r.kind == kind and r.status in ("pending", "accepted"):
            raise VictimConflict("referral_open", "the same referral is already open")


def _referral_task(
    session: Session, referral: VictimReferral, file: VictimFile, unit: Unit, now: datetime
) -> None:
    from fanguai.web.i18n import translate

    tasks.create_task(
        session,
        kind="victims.referral",
        title=translate("victims.task.referral", file_no=file.file_no),
        subject_type=service.REFERRAL_SUBJECT,
        subject_id=referral.public_id,
        owner_unit=unit,
        due_at=now + timedelta(days=REFERRAL_DAYS),
        now=now,
    )
    enqueue(
        session,
        kind="victims.referral",
        unit_id=unit.id,
        payload={"referral": referral.public_id, "file_no": file.file_no, "kind": referral.kind},
    )


_TRANSITIONS = {
    "accept": ("pending", "accepted"),
    "reject": ("pending", "rejected"),
    "done": ("accepted", "done"),
}


def decide_referral(
    session: Session,
    *,
    actor: Actor,
    referral_id: str,
    decision: str,
    note: str | None = None,
    now: datetime | None = None,
) -> VictimReferral:
    """The receiving unit accepts or rejects a referral, then marks it done."""
    if decision not in _TRANSITIONS:
        raise VictimInputError("bad_choice", "accept, reject or done", field="decision")
    now = now or utcnow()
    before, after = _TRANSITIONS[decision]
    with action(
        session,
        actor,
        f"victims.referral_{decision}",
        object_type="victim_referral",
        object_id=referral_id,
    ) as act:
        actor.require("victims.sector")
        referral = session.execute(
            select(VictimReferral).where(VictimReferral.public_id == referral_id)
        ).scalar_one_or_none()
        if referral is None or referral.to_unit_id != actor.unit_id:
            raise NotFound("referral not found")
        act.detail["file"] = referral.file.public_id
        if referral.status != before:
            raise VictimConflict("referral_state", f"the referral is {referral.status}")
        if decision == "accept" and referral.consent and referral.consent.withdrawn_on:
            raise VictimConflict("consent_withdrawn", "the consent it relies on was withdrawn")
        referral.status = after
        if decision == "done":
            referral.done_at = now
        else:
            referral.decided_at = now
            referral.decided_by_id = actor.user_id
            tasks.close_tasks(
                session,
                subject_type=service.REFERRAL_SUBJECT,
                subject_id=referral.public_id,
                note=decision,
                by_user_id=actor.user_id,
                now=now,
            )
        if note:
            referral.decision_note = note
        enqueue(
            session,
            kind="victims.referral_decided",
            unit_id=referral.from_unit_id,
            payload={"referral": referral.public_id, "status": after},
        )
    return referral


# --- identity, household registration, caseworker, closing ------------------------------------


def record_identity(
    session: Session,
    *,
    actor: Actor,
    public_id: str,
    data: IdentityUpdate,
    now: datetime | None = None,
) -> VictimFile:
    """Identity established: the household-registration tasks are no longer needed."""
    today = service.today_in_beijing(now)
    with action(
        session, actor, "victims.identified", object_type="victim_file", object_id=public_id
    ):
        file = service.get_file_to_manage(session, actor=actor, public_id=public_id)
        _require_open(file)
        if file.identified_on is not None:
            raise VictimConflict("already_identified", "identity already recorded")
        _check_day(data.identified_on, file=file, today=today, field="identified_on")
        _check_person(session, data.person_id)
        file.identified_on = data.identified_on
        if data.person_id:
            file.person_public_id = data.person_id
        if file.hukou_applied_on is None:
            tasks.close_tasks(
                session,
                subject_type=service.FILE_SUBJECT,
                subject_id=file.public_id,
                kind="victims.hukou_application",
                status="cancelled",
                note="identity established",
                by_user_id=actor.user_id,
            )
            tasks.close_tasks(
                session,
                subject_type=service.FILE_SUBJECT,
                subject_id=file.public_id,
                kind="victims.hukou_registration",
                status="cancelled",
                note="identity established",
                by_user_id=actor.user_id,
            )
    return file


def record_hukou(
    session: Session,
    *,
    actor: Actor,
    public_id: str,
    data: HukouStep,
    now: datetime | None = None,
) -> VictimFile:
    """Record the household-registration application (civil affairs) or its registration."""
    today = service.today_in_beijing(now)
    with action(
        session,
        actor,
        f"victims.hukou_{data.step}",
        object_type="victim_file",
        object_id=public_id,
    ):
        file = service.get_file_to_manage(session, actor=actor, public_id=public_id)
        _require_open(file)
        _check_day(data.on, file=file, today=today, field="on")
        if data.step == "applied":
            if file.hukou_applied_on is not None:
                raise VictimConflict("hukou_done", "the application is already recorded")
            file.hukou_applied_on = data.on
        else:
            if file.hukou_applied_on is None:
                raise VictimInputError(
                    "hukou_order", "record the application before the registration", field="step"
                )
            if file.hukou_registered_on is not None:
                raise VictimConflict("hukou_done", "the registration is already recorded")
            if data.on < file.hukou_applied_on:
                raise VictimInputError(
                    "end_before_start", "registered before the application", field="on"
                )
            file.hukou_registered_on = data.on
        tasks.close_tasks(
            session,
            subject_type=service.FILE_SUBJECT,
            subject_id=file.public_id,
            kind="victims.hukou_application"
            if data.step == "applied"
            else "victims.hukou_registration",
            note=f"hukou {data.step}",
            by_user_id=actor.user_id,
        )
    return file


def assign_caseworker(
    session: Session, *, actor: Actor, public_id: str, username: str
) -> VictimFile:
    """Make a caseworker of the owner unit responsible for the file."""
    with action(
        session,
        actor,
        "victims.assign",
        object_type="victim_file",
        object_id=public_id,
        detail={"caseworker": username},
    ):
        file = service.get_file_to_manage(session, actor=actor, public_id=public_id)
        _require_open(file)
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if (
            user is None
            or not user.is_active
            or user.unit_id != file.owner_unit_id
            or "victims.manage" not in permissions_for(user.role_codes)
        ):
            raise VictimInputError(
                "bad_caseworker", "not a caseworker of the file's unit", field="username"
            )
        file.caseworker_id = user.id
    return file


def close_file(
    session: Session,
    *,
    actor: Actor,
    public_id: str,
    data: CloseFile,
    now: datetime | None = None,
) -> VictimFile:
    """Close the file; its open tasks are cancelled."""
    now = now or utcnow()
    with action(
        session,
        actor,
        "victims.close",
        object_type="victim_file",
        object_id=public_id,
        detail={"reason": data.reason},
    ):
        file = service.get_file_to_manage(session, actor=actor, public_id=public_id)
        _require_open(file)
        file.status = "closed"
        file.closed_at = now
        file.close_reason = data.reason
        _cancel_tasks(session, file, actor, now, "file closed")
    return file


def _cancel_tasks(
    session: Session, file: VictimFile, actor: Actor, now: datetime, note: str
) -> None:
    tasks.close_tasks(
        session,
        subject_type=service.FILE_SUBJECT,
        subject_id=file.public_id,
        status="cancelled",
        note=note,
        by_user_id=actor.user_id,
        now=now,
    )
    for referral in service.referrals_of(session, file):
        tasks.close_tasks(
            session,
            subject_type=service.REFERRAL_SUBJECT,
            subject_id=referral.public_id,
            status="cancelled",
            note=note,
            by_user_id=actor.user_id,
            now=now,
        )


def erase_file(
    session: Session, crypto: FieldCrypto, *, actor: Actor, public_id: str, reason: str
) -> None:
    """Erase the file for good by destroying its data key (crypto-shredding)."""
    now = utcnow()
    with action(
        session,
        actor,
        "victims.erase",
        object_type="victim_file",
        object_id=public_id,
        detail={"reason": reason},
        priority="high",
    ):
        actor.require("people.erase")
        file = service.get_file_to_manage(session, actor=actor, public_id=public_id)
        if file.erased_at is not None:
            raise VictimConflict("already_erased", "the file is already erased")
        for column in ("name", "birth_date", "notes", "exploitation"):
            setattr(file, column, None)
        for svc in service.services_of(session, file):
            svc.details = None
        for assessment in session.execute(
            select(VictimAssessment).where(VictimAssessment.file_id == file.id)
        ).scalars():
            assessment.notes = None
        if file.status != "closed":
            file.status = "closed"
            file.closed_at = now
            file.close_reason = "other"
        file.erased_at = now
        _cancel_tasks(session, file, actor, now, "file erased")
        session.flush()
        # Shred last: if the database write fails the key survives and nothing is half-erased.
        crypto.keystore.shred(file.subject_id)
    checkpoint_wal(session)


# --- the designated-hospital registry ----------------------------------------------------------


def _health_officer_for(actor: Actor, county_code: str) -> None:
    actor.require("victims.sector")
    if actor.department != "health":
        raise VictimForbidden("health_only", "the health line keeps the hospital registry")
    if not covers(actor, county_code):
        raise VictimInputError(
            "county_outside", "the county lies outside your jurisdiction", field="county_code"
        )


def add_hospital(
    session: Session,
    *,
    actor: Actor,
    data: HospitalCreate,
    now: datetime | None = None,
) -> DesignatedHospital:
    """Designate a hospital for a county (the health line, inside its jurisdiction)."""
    today = service.today_in_beijing(now)
    with action(
        session,
        actor,
        "victims.hospital_add",
        object_type="victim_hospital",
        detail={"county": data.county_code},
    ) as act:
        _health_officer_for(actor, data.county_code)
        division = session.get(Division, data.county_code)
        if division is None or division.level != "county":
            raise VictimInputError("unknown_county", "not a county code", field="county_code")
        if data.designated_on > today:
            raise VictimInputError(
                "future_date", "the date lies in the future", field="designated_on"
            )
        known = service.hospitals(session, county_code=data.county_code, active_only=False)
        if any(h.name == data.name for h in known):
            raise VictimConflict("hospital_exists", "that hospital is already in the registry")
        hospital = DesignatedHospital(
            county_code=data.county_code,
            name=data.name,
            kind=data.kind,
            disability_assessment=data.disability_assessment,
            designated_on=data.designated_on,
            unit_id=actor.unit_id,
        )
        session.add(hospital)
        session.flush()
        act.object_id = hospital.public_id
    return hospital


def withdraw_hospital(
    session: Session,
    *,
    actor: Actor,
    hospital_id: str,
    data: HospitalWithdraw,
    now: datetime | None = None,
) -> DesignatedHospital:
    """End a designation."""
    today = service.today_in_beijing(now)
    with action(
        session,
        actor,
        "victims.hospital_withdraw",
        object_type="victim_hospital",
        object_id=hospital_id,
    ):
        actor.require("victims.sector")
        hospital = service.get_hospital(session, hospital_id)
        _health_officer_for(actor, hospital.county_code)
        if hospital.withdrawn_on is not None:
            raise VictimConflict("already_withdrawn", "the designation has already ended")
        if data.withdrawn_on > today:
            raise VictimInputError(
                "future_date", "the date lies in the future", field="withdrawn_on"
            )
        if data.withdrawn_on < hospital.designated_on:
            raise VictimInputError(
                "end_before_start", "ended before it was designated", field="withdrawn_on"
            )
        hospital.withdrawn_on = data.withdrawn_on
    return hospital
