"""Queries and rules of the victim file: who sees what (scope and field views), ages, lists.

Two views of a file exist, decided here and nowhere else:

- the whole file, for staff with ``victims.read`` in the lines that keep it (civil affairs and
  police, 二(三)3), for files whose owner unit lies inside their jurisdiction;
- a sector view, for sector officers (``victims.sector``): the masked summary and the services
  of their own department line only (education: the placement ledger; health: medical,
  counselling and disability; human resources: employment; justice: legal aid), for files inside
  their jurisdiction or referred to their unit. Never the exploitation history.

Out-of-scope files answer "not found", exactly as files that do not exist.
"""

from __future__ import annotations

import calendar
import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session

from fanguai.audit.models import AuditEvent
from fanguai.core.actions import ACTION_KEY
from fanguai.core.actor import Actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.db import new_public_id, utcnow
from fanguai.errors import Forbidden, NotFound
from fanguai.org.models import Division, Unit
from fanguai.outbox import enqueue
from fanguai.people.service import age_on, mask_name
from fanguai.security.scope import covers, covers_clause
from fanguai.tasks import service as tasks
from fanguai.tasks.models import Task
from fanguai.victims import catalogue as c
from fanguai.victims.errors import VictimInputError
from fanguai.victims.models import (
    DesignatedHospital,
    VictimAssessment,
    VictimConsent,
    VictimFile,
    VictimReferral,
    VictimService,
)
from fanguai.victims.schemas import (
    AssessmentRead,
    ConsentRead,
    FileDetail,
    FileSummary,
    HospitalRead,
    ReferralRead,
    SectorRow,
    SectorView,
    ServiceRead,
    TaskRead,
    TimelineEntry,
)

BEIJING = ZoneInfo("Asia/Shanghai")
# Tasks about a file carry one of these subject types (rules: the file; a referral: itself).
FILE_SUBJECT = "victim_file"
REFERRAL_SUBJECT = "victim_referral"


# --- dates -------------------------------------------------------------------------------------


def beijing_date(moment: datetime) -> date:
    """The calendar date of a moment in Asia/Shanghai."""
    return moment.astimezone(BEIJING).date()


def today_in_beijing(now: datetime | None = None) -> date:
    """Today's date in Beijing."""
    return beijing_date(now or utcnow())


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the 31st becomes the month's last day where needed."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def beijing_midnight(day: date) -> datetime:
    """The start of a Beijing calendar day, as an aware time."""
    return datetime(day.year, day.month, day.day, tzinfo=BEIJING)


# --- encrypted values --------------------------------------------------------------------------


def seal(
    crypto: FieldCrypto,
    file: VictimFile,
    *,
    table: str,
    column: str,
    row_id: str,
    value: str | None,
) -> str | None:
    """Encrypt a value under the file's subject (None and "" stay None)."""
    if value is None or value == "":
        return None
    return crypto.encrypt(
        value, subject_id=file.subject_id, table=table, column=column, row_id=row_id
    )


def unseal(
    crypto: FieldCrypto,
    file: VictimFile,
    *,
    table: str,
    column: str,
    row_id: str,
    token: str | None,
) -> str | None:
    """Decrypt a value of the file (None once the file is erased)."""
    if token is None or file.erased_at is not None:
        return None
    return crypto.decrypt(
        token, subject_id=file.subject_id, table=table, column=column, row_id=row_id
    )


def file_value(crypto: FieldCrypto, file: VictimFile, column: str) -> str | None:
    """A decrypted column of the file row."""
    return unseal(
        crypto,
        file,
        table="victim_file",
        column=column,
        row_id=file.public_id,
        token=getattr(file, column),
    )


def details_of(crypto: FieldCrypto, file: VictimFile, service: VictimService) -> dict[str, Any]:
    """The decrypted details of a service."""
    raw = unseal(
        crypto,
        file,
        table="victim_service",
        column="details",
        row_id=service.public_id,
        token=service.details,
    )
    return json.loads(raw) if raw else {}


def profile_of(crypto: FieldCrypto, file: VictimFile) -> dict[str, Any] | None:
    """The decrypted victim profile (exploitation history), if recorded."""
    raw = file_value(crypto, file, "exploitation")
    return json.loads(raw) if raw else None


# --- scope -------------------------------------------------------------------------------------


def sees_whole_files(actor: Actor) -> bool:
    """Readers in the lines that keep the file (civil affairs, police)."""
    return actor.can("victims.read") and actor.department in c.FILE_LINES


def full_scope_clause(actor: Actor):  # type: ignore[no-untyped-def]
    """SQL: files whose owner unit lies in the actor's jurisdiction (join ``Unit`` first)."""
    if not sees_whole_files(actor):
        return false()
    return covers_clause(actor, Unit.division_code)


def in_full_scope(actor: Actor, file: VictimFile) -> bool:
    """Python twin of ``full_scope_clause``."""
    return sees_whole_files(actor) and covers(actor, file.owner_unit.division_code)


def sector_line(actor: Actor) -> str | None:
    """The sector officer's department line, if it has a piece of the victim's care."""
    if actor.can("victims.sector") and actor.department in c.SECTOR_KINDS:
        return actor.department
    return None


def _referred_to(actor: Actor):  # type: ignore[no-untyped-def]
    return select(VictimReferral.file_id).where(
        VictimReferral.to_unit_id == actor.unit_id, VictimReferral.status != "rejected"
    )


def _with_service(kind: str):  # type: ignore[no-untyped-def]
    return select(VictimService.file_id).where(VictimService.kind == kind)


def sector_clause(actor: Actor, line: str):  # type: ignore[no-untyped-def]
    """SQL: files a sector officer of ``line`` sees (join ``Unit`` first).

    Inside the jurisdiction or referred to the officer's unit; education sees only victims who
    were minors (or of unknown age) when received or have a placement; human resources only
    those who want work or have an employment record."""
    referred = _referred_to(actor)
    where = [
        VictimFile.erased_at.is_(None),
        or_(covers_clause(actor, Unit.division_code), VictimFile.id.in_(referred)),
    ]
    if line == "education":
        where.append(
            or_(
                VictimFile.age_min.is_(None),
                VictimFile.age_min < 18,
                VictimFile.id.in_(_with_service("schooling")),
                VictimFile.id.in_(referred),
            )
        )
    elif line == "hr":
        where.append(
            or_(
                VictimFile.wants_work.is_(True),
                VictimFile.id.in_(_with_service("employment")),
                VictimFile.id.in_(referred),
            )
        )
    return and_(*where)


def _file_by_public_id(session: Session, public_id: str) -> VictimFile | None:
    return session.execute(
        select(VictimFile).where(VictimFile.public_id == public_id)
    ).scalar_one_or_none()


def get_file_for(session: Session, *, actor: Actor, public_id: str) -> VictimFile:
    """The whole file, or ``NotFound`` when missing or outside the actor's scope."""
    actor.require("victims.read")
    file = _file_by_public_id(session, public_id)
    if file is None or not in_full_scope(actor, file):
        raise NotFound("victim file not found")
    return file


def get_file_to_manage(session: Session, *, actor: Actor, public_id: str) -> VictimFile:
    """A file the actor may change (``victims.manage`` and the whole-file scope)."""
    actor.require("victims.manage")
    return get_file_for(session, actor=actor, public_id=public_id)


def get_file_for_sector(
    session: Session, *, actor: Actor, public_id: str
) -> tuple[VictimFile, str]:
    """A file as a sector officer sees it, with their line; else ``NotFound``."""
    actor.require("victims.sector")
    line = sector_line(actor)
    if line is None:
        raise NotFound("victim file not found")
    file = session.execute(
        select(VictimFile)
        .join(VictimFile.owner_unit)
        .where(VictimFile.public_id == public_id, sector_clause(actor, line))
    ).scalar_one_or_none()
    if file is None:
        raise NotFound("victim file not found")
    return file, line


# --- opening a file ----------------------------------------------------------------------------

# A reception time may run a little ahead of the server's clock (a clerk's watch), no more.
CLOCK_SKEW = timedelta(minutes=10)


def file_no(division_code: str, public_id: str, received: date) -> str:
    """A reference people can read out: county, year of reception, and 8 hex digits."""
    return f"{division_code}-{received.year}-{public_id[:8].upper()}"


def new_file(unit: Unit, *, received_at: datetime, now: datetime) -> VictimFile:
    """A new, empty file row kept by ``unit`` (not yet added to the session)."""
    public_id = new_public_id()
    return VictimFile(
        public_id=public_id,
        file_no=file_no(unit.division_code, public_id, beijing_date(received_at)),
        subject_id=f"victim:{uuid.uuid4()}",
        owner_unit_id=unit.id,
        owner_unit=unit,
        county_code=unit.division_code,
        opened_month=now.astimezone(BEIJING).strftime("%Y-%m"),
        opened_at=now,
        received_at=received_at,
        status="open",
    )


def check_received(received_at: datetime, now: datetime) -> date:
    """The Beijing date of reception; refuses a reception in the future."""
    if received_at.tzinfo is None:
        raise VictimInputError(
            "bad_date", "the reception time needs a time zone", field="received_at"
        )
    if received_at > now + CLOCK_SKEW:
        raise VictimInputError(
            "future_date", "the reception lies in the future", field="received_at"
        )
    return beijing_date(received_at)


def open_file_from_found(
    session: Session,
    *,
    actor: Actor,
    found_person_public_id: str,
    person_public_id: str | None,
    received_at: datetime,
    unit: Unit,
) -> VictimFile:
    """Open a file for a rescued child handed over by identification, INSIDE the caller's action.

    The identification module calls this within its own action (one transaction, its audit
    record); it raises ``RuntimeError`` outside one. ``received_at`` is the moment of the
    hand-over on the caller's clock; the file counts as opened then. The child's identity is
    unknown until someone records it: the file starts with sex and age unknown and no
    caseworker, kept by ``unit`` (civil affairs, or police), which is told through the outbox;
    a caseworker there takes it on. Handing the same found person over twice returns the file
    already open.

    Example (in the identification module)::

        with action(session, actor, "identify.handover", object_type="found_person",
                    object_id=found.public_id):
            file = open_file_from_found(session, actor=actor,
                                        found_person_public_id=found.public_id,
                                        person_public_id=None, received_at=utcnow(),
                                        unit=civil_affairs_unit)
    """
    if not session.info.get(ACTION_KEY):
        raise RuntimeError("open_file_from_found must run inside the caller's action")
    if not (actor.can("found.manage") or actor.can("victims.manage")):
        raise Forbidden("permission 'found.manage' or 'victims.manage' required")
    if unit.department not in c.FILE_LINES:
        raise VictimInputError(
            "unit_line", "victim files are kept by civil affairs or police units", field="unit"
        )
    existing = (
        session.execute(
            select(VictimFile).where(
                VictimFile.found_person_public_id == found_person_public_id,
                VictimFile.status != "closed",
            )
        )
        .scalars()
        .first()
    )
    if existing is not None:
        return existing
    if received_at.tzinfo is None:
        raise VictimInputError(
            "bad_date", "the reception time needs a time zone", field="received_at"
        )
    # The hand-over happens at the caller's moment (its clock may be a controlled one).
    file = new_file(unit, received_at=received_at, now=received_at)
    file.found_person_public_id = found_person_public_id
    file.person_public_id = person_public_id
    session.add(file)
    session.flush()
    enqueue(
        session,
        kind="victims.file_opened",
        unit_id=unit.id,
        payload={"file": file.public_id, "file_no": file.file_no, "from": "identification"},
    )
    return file


# --- age ---------------------------------------------------------------------------------------


def birth_date_of(crypto: FieldCrypto, file: VictimFile) -> date | None:
    """The decrypted birth date, or None."""
    raw = file_value(crypto, file, "birth_date")
    return date.fromisoformat(raw) if raw else None


def age_bounds(crypto: FieldCrypto, file: VictimFile, today: date) -> tuple[int | None, int | None]:
    """The youngest and oldest the victim may be today (exact when the birth date is known).

    Without a birth date, the range stated at reception grows with the time since: a victim
    estimated 14 on reception is 14–15 three months later."""
    born = birth_date_of(crypto, file)
    if born is not None:
        age = age_on(born, today)
        return age, age
    received = beijing_date(file.received_at)
    completed = age_on(received, today) if today >= received else 0
    exact_anniversary = today == add_months(received, 12 * completed)
    most = completed if exact_anniversary else completed + 1
    lo = file.age_min + completed if file.age_min is not None else None
    hi = file.age_max + most if file.age_max is not None else None
    return lo, hi


def minor_label(lo: int | None, hi: int | None) -> str:
    """``under14``, ``under18``, ``adult`` or ``unknown`` from the age bounds."""
    if hi is not None and hi < 14:
        return "under14"
    if hi is not None and hi < 18:
        return "under18"
    if lo is not None and lo >= 18:
        return "adult"
    return "unknown"


def age_text(lo: int | None, hi: int | None) -> str:
    """``14``, ``14–15``, ``≥16``, ``≤9`` or ``unknown``."""
    if lo is None and hi is None:
        return "unknown"
    if lo == hi:
        return str(lo)
    if lo is None:
        return f"≤{hi}"
    if hi is None:
        return f"≥{lo}"
    return f"{lo}–{hi}"


# --- views -------------------------------------------------------------------------------------


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def summary(crypto: FieldCrypto, file: VictimFile, today: date) -> FileSummary:
    """The masked view used in lists and at the top of every view."""
    lo, hi = age_bounds(crypto, file, today) if file.erased_at is None else (None, None)
    name = file_value(crypto, file, "name")
    return FileSummary(
        id=file.public_id,
        file_no=file.file_no,
        status=file.status,
        county_code=file.county_code,
        owner_unit=file.owner_unit.name,
        caseworker=file.caseworker.display_name if file.caseworker else None,
        received_at=file.received_at.isoformat(),
        name=mask_name(name) if name else None,
        sex=file.sex,
        age=age_text(lo, hi),
        minor=minor_label(lo, hi),
        identified=file.identified_on is not None,
        erased=file.erased_at is not None,
    )


def service_read(crypto: FieldCrypto, file: VictimFile, service: VictimService) -> ServiceRead:
    """A service with its details decrypted."""
    return ServiceRead(
        id=service.public_id,
        kind=service.kind,
        started_on=service.started_on.isoformat(),
        ended_on=_iso(service.ended_on),
        hospital=service.hospital.name if service.hospital else None,
        details=details_of(crypto, file, service),
        recorded_unit=service.recorded_unit.name if service.recorded_unit else None,
    )


def referral_read(referral: VictimReferral) -> ReferralRead:
    """A referral as lists show it."""
    return ReferralRead(
        id=referral.public_id,
        file=referral.file.public_id,
        file_no=referral.file.file_no,
        kind=referral.kind,
        from_unit=referral.from_unit.name,
        to_unit=referral.to_unit.name,
        status=referral.status,
        consent=referral.consent.public_id if referral.consent else None,
        override=referral.override_reason is not None,
        note=referral.note,
        decision_note=referral.decision_note,
        requested_at=referral.requested_at.isoformat(),
        decided_at=referral.decided_at.isoformat() if referral.decided_at else None,
        done_at=referral.done_at.isoformat() if referral.done_at else None,
    )


def task_read(task: Task, now: datetime) -> TaskRead:
    """A task of the file."""
    return TaskRead(
        id=task.public_id,
        kind=task.kind,
        title=task.title,
        owner_unit=task.owner_unit.name,
        due_at=task.due_at.isoformat(),
        status=task.status,
        overdue=tasks.is_overdue(task, now),
    )


def services_of(
    session: Session, file: VictimFile, kinds: tuple[str, ...] | None = None
) -> list[VictimService]:
    """The file's services, oldest first (only the given kinds, if any)."""
    query = select(VictimService).where(VictimService.file_id == file.id)
    if kinds is not None:
        query = query.where(VictimService.kind.in_(kinds))
    return list(
        session.execute(query.order_by(VictimService.started_on, VictimService.id)).scalars()
    )


def referrals_of(session: Session, file: VictimFile) -> list[VictimReferral]:
    """The file's referrals, oldest first."""
    return list(
        session.execute(
            select(VictimReferral)
            .where(VictimReferral.file_id == file.id)
            .order_by(VictimReferral.requested_at, VictimReferral.id)
        ).scalars()
    )


def consents_of(session: Session, file: VictimFile) -> list[VictimConsent]:
    """The file's consent records, oldest first."""
    return list(
        session.execute(
            select(VictimConsent)
            .where(VictimConsent.file_id == file.id)
            .order_by(VictimConsent.given_on, VictimConsent.id)
        ).scalars()
    )


def tasks_of(session: Session, file: VictimFile) -> list[Task]:
    """Every task about the file: its rules' tasks and its referrals' tasks."""
    referral_ids = [r.public_id for r in referrals_of(session, file)]
    return list(
        session.execute(
            select(Task)
            .where(
                or_(
                    and_(Task.subject_type == FILE_SUBJECT, Task.subject_id == file.public_id),
                    and_(Task.subject_type == REFERRAL_SUBJECT, Task.subject_id.in_(referral_ids)),
                )
            )
            .order_by(Task.due_at, Task.id)
        ).scalars()
    )


def _assessment_read(crypto: FieldCrypto, file: VictimFile, a: VictimAssessment) -> AssessmentRead:
    return AssessmentRead(
        id=a.public_id,
        assessed_on=a.assessed_on.isoformat(),
        needs=list(a.needs),
        priority=a.priority,
        notes=unseal(
            crypto,
            file,
            table="victim_assessment",
            column="notes",
            row_id=a.public_id,
            token=a.notes,
        ),
    )


def _consent_read(consent: VictimConsent) -> ConsentRead:
    return ConsentRead(
        id=consent.public_id,
        scope=consent.scope,
        given_by=consent.given_by,
        given_on=consent.given_on.isoformat(),
        withdrawn_on=_iso(consent.withdrawn_on),
    )


def detail(
    session: Session, crypto: FieldCrypto, file: VictimFile, *, now: datetime | None = None
) -> FileDetail:
    """The whole file (for the lines that keep it)."""
    now = now or utcnow()
    today = today_in_beijing(now)
    profile = profile_of(crypto, file)
    services = [service_read(crypto, file, s) for s in services_of(session, file)]
    referrals = [referral_read(r) for r in referrals_of(session, file)]
    assessments = session.execute(
        select(VictimAssessment)
        .where(VictimAssessment.file_id == file.id)
        .order_by(VictimAssessment.assessed_on, VictimAssessment.id)
    ).scalars()
    return FileDetail(
        **summary(crypto, file, today).model_dump(),
        nationality=file.nationality,
        origin_county=file.origin_county,
        person_id=file.person_public_id,
        found_person_id=file.found_person_public_id,
        wants_work=file.wants_work,
        notes=file_value(crypto, file, "notes"),
        identified_on=_iso(file.identified_on),
        hukou_applied_on=_iso(file.hukou_applied_on),
        hukou_registered_on=_iso(file.hukou_registered_on),
        closed_at=file.closed_at.isoformat() if file.closed_at else None,
        close_reason=file.close_reason,
        profile=profile,
        assessments=[_assessment_read(crypto, file, a) for a in assessments],
        consents=[_consent_read(x) for x in consents_of(session, file)],
        services=services,
        referrals=referrals,
        tasks=[task_read(t, now) for t in tasks_of(session, file)],
        timeline=timeline(file, profile, services, referrals),
    )


def timeline(
    file: VictimFile,
    profile: dict[str, Any] | None,
    services: list[ServiceRead],
    referrals: list[ReferralRead],
) -> list[TimelineEntry]:
    """Everything dated in the file, in order: what happened before, then care and return."""
    entries = [TimelineEntry(on=beijing_date(file.received_at).isoformat(), event="received")]
    for event in (profile or {}).get("timeline", []):
        entries.append(
            TimelineEntry(on=event["start"], event=event["stage"], text=event.get("place"))
        )
        if event.get("end"):
            entries.append(TimelineEntry(on=event["end"], event=f"{event['stage']}.end"))
    for s in services:
        provider = s.hospital or s.details.get("provider")
        entries.append(TimelineEntry(on=s.started_on, event=f"service.{s.kind}", text=provider))
        if s.ended_on:
            entries.append(
                TimelineEntry(
                    on=s.ended_on, event=f"service.{s.kind}.end", text=s.details.get("outcome")
                )
            )
    for r in referrals:
        entries.append(
            TimelineEntry(on=r.requested_at[:10], event=f"referral.{r.status}", text=r.to_unit)
        )
    for event, day in (
        ("identified", file.identified_on),
        ("hukou.applied", file.hukou_applied_on),
        ("hukou.registered", file.hukou_registered_on),
    ):
        if day is not None:
            entries.append(TimelineEntry(on=day.isoformat(), event=event))
    if file.closed_at is not None:
        entries.append(TimelineEntry(on=beijing_date(file.closed_at).isoformat(), event="closed"))
    return sorted(entries, key=lambda e: e.on)


def sector_view(
    session: Session,
    crypto: FieldCrypto,
    file: VictimFile,
    *,
    line: str,
    actor: Actor,
    now: datetime | None = None,
) -> SectorView:
    """What a department line sees: the masked summary, its own services and referrals."""
    base = summary(crypto, file, today_in_beijing(now))
    kinds = c.SECTOR_KINDS[line]
    referrals = [r for r in referrals_of(session, file) if r.to_unit_id == actor.unit_id]
    return SectorView(
        id=base.id,
        file_no=base.file_no,
        status=base.status,
        county_code=base.county_code,
        owner_unit=base.owner_unit,
        name=base.name,
        sex=base.sex,
        age=base.age,
        minor=base.minor,
        line=line,
        services=[service_read(crypto, file, s) for s in services_of(session, file, kinds)],
        referrals=[referral_read(r) for r in referrals],
    )


# --- lists -------------------------------------------------------------------------------------


def list_files(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    status: str | None = None,
    mine: bool = False,
    active: bool = False,
    unassigned: bool = False,
    page: int = 1,
    page_size: int = 30,
    now: datetime | None = None,
) -> tuple[list[FileSummary], int]:
    """Files in scope, newest reception first; only the page is decrypted."""
    actor.require("victims.read")
    stmt = select(VictimFile).join(VictimFile.owner_unit).where(full_scope_clause(actor))
    if status:
        stmt = stmt.where(VictimFile.status == status)
    if mine:
        stmt = stmt.where(VictimFile.caseworker_id == actor.user_id)
    if active:
        stmt = stmt.where(VictimFile.status != "closed")
    if unassigned:
        stmt = stmt.where(
            VictimFile.caseworker_id.is_(None),
            VictimFile.owner_unit_id == actor.unit_id,
            VictimFile.status != "closed",
        )
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(
        stmt.order_by(VictimFile.received_at.desc(), VictimFile.id.desc())
        .limit(page_size)
        .offset((max(1, page) - 1) * page_size)
    ).scalars()
    today = today_in_beijing(now)
    return [summary(crypto, f, today) for f in rows], total


def needs_action(
    session: Session, crypto: FieldCrypto, file: VictimFile, line: str, today: date
) -> bool:
    """Whether the line still owes this victim its service (shown as a flag in its list)."""
    if file.status == "closed":
        return False
    have = {s.kind for s in services_of(session, file, c.SECTOR_KINDS[line])}
    lo, hi = age_bounds(crypto, file, today)
    if line == "education":
        return "schooling" not in have and is_school_age(lo, hi)
    if line == "hr":
        return "employment" not in have and bool(file.wants_work) and is_work_age(lo)
    if line == "health":
        return "medical" not in have
    return False


def is_school_age(lo: int | None, hi: int | None) -> bool:
    """The youngest the victim may be lies in the compulsory-education years (6 to 15)."""
    first, last = c.SCHOOL_AGE
    return lo is not None and first <= lo <= last


def is_work_age(lo: int | None) -> bool:
    """Surely 16 or over (二(三)2(2))."""
    return lo is not None and lo >= c.WORK_AGE


def list_sector(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    page: int = 1,
    page_size: int = 30,
    now: datetime | None = None,
) -> tuple[list[SectorRow], int]:
    """The sector officer's list (education: the placement ledger), open files first."""
    actor.require("victims.sector")
    line = sector_line(actor)
    if line is None:
        return [], 0
    stmt = select(VictimFile).join(VictimFile.owner_unit).where(sector_clause(actor, line))
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(
        stmt.order_by(
            (VictimFile.status == "closed").asc(),
            VictimFile.received_at.desc(),
            VictimFile.id.desc(),
        )
        .limit(page_size)
        .offset((max(1, page) - 1) * page_size)
    ).scalars()
    today = today_in_beijing(now)
    out = []
    for file in rows:
        base = summary(crypto, file, today)
        latest = services_of(session, file, c.SECTOR_KINDS[line])
        out.append(
            SectorRow(
                id=base.id,
                file_no=base.file_no,
                status=base.status,
                name=base.name,
                sex=base.sex,
                age=base.age,
                minor=base.minor,
                line=line,
                latest=service_read(crypto, file, latest[-1]) if latest else None,
                needs_action=needs_action(session, crypto, file, line, today),
            )
        )
    return out, total


def incoming_referrals(
    session: Session, *, actor: Actor, open_only: bool = True
) -> list[VictimReferral]:
    """Referrals to the actor's unit (pending and accepted ones unless asked for all)."""
    actor.require("victims.sector")
    query = select(VictimReferral).where(VictimReferral.to_unit_id == actor.unit_id)
    if open_only:
        query = query.where(VictimReferral.status.in_(("pending", "accepted")))
    return list(
        session.execute(
            query.order_by(VictimReferral.requested_at.desc(), VictimReferral.id.desc())
        ).scalars()
    )


def due_tasks(session: Session, *, actor: Actor) -> list[Task]:
    """Open tasks about victim files that the actor's unit answers for, soonest first."""
    return [
        t
        for t in tasks.list_tasks(session, actor=actor, status="open")
        if t.subject_type in (FILE_SUBJECT, REFERRAL_SUBJECT)
    ]


def task_links(session: Session, task_list: list[Task]) -> dict[str, str]:
    """For each task, the file it is about (task public id → file public id)."""
    referral_ids = [t.subject_id for t in task_list if t.subject_type == REFERRAL_SUBJECT]
    by_referral = dict(
        session.execute(
            select(VictimReferral.public_id, VictimFile.public_id)
            .join(VictimFile, VictimFile.id == VictimReferral.file_id)
            .where(VictimReferral.public_id.in_(referral_ids))
        ).all()
    )
    links = {}
    for t in task_list:
        if t.subject_type == FILE_SUBJECT:
            links[t.public_id] = t.subject_id
        elif t.subject_id in by_referral:
            links[t.public_id] = by_referral[t.subject_id]
    return links


# --- designated hospitals ----------------------------------------------------------------------


def hospitals(
    session: Session, *, county_code: str | None = None, active_only: bool = True
) -> list[DesignatedHospital]:
    """Designated hospitals, by county."""
    query = select(DesignatedHospital)
    if county_code:
        query = query.where(DesignatedHospital.county_code == county_code)
    if active_only:
        query = query.where(DesignatedHospital.withdrawn_on.is_(None))
    return list(
        session.execute(
            query.order_by(DesignatedHospital.county_code, DesignatedHospital.name)
        ).scalars()
    )


def hospital_read(hospital: DesignatedHospital, county_name: str) -> HospitalRead:
    """A registry entry."""
    return HospitalRead(
        id=hospital.public_id,
        county_code=hospital.county_code,
        county=county_name,
        name=hospital.name,
        kind=hospital.kind,
        disability_assessment=hospital.disability_assessment,
        designated_on=hospital.designated_on.isoformat(),
        withdrawn_on=_iso(hospital.withdrawn_on),
    )


def county_names(session: Session) -> dict[str, str]:
    """Division code → full name."""
    return dict(session.execute(select(Division.code, Division.full_name)).all())


def counties_without_hospital(session: Session) -> list[Division]:
    """Counties with no active designated hospital (the plan asks for at least one each)."""
    covered = select(DesignatedHospital.county_code).where(
        DesignatedHospital.withdrawn_on.is_(None)
    )
    return list(
        session.execute(
            select(Division)
            .where(Division.level == "county", Division.code.not_in(covered))
            .order_by(Division.code)
        ).scalars()
    )


def get_hospital(session: Session, public_id: str) -> DesignatedHospital:
    """A registry entry by public id, or ``NotFound``."""
    hospital = session.execute(
        select(DesignatedHospital).where(DesignatedHospital.public_id == public_id)
    ).scalar_one_or_none()
    if hospital is None:
        raise NotFound("designated hospital not found")
    return hospital


# --- the access log ----------------------------------------------------------------------------


def access_log(session: Session, *, actor: Actor, file: VictimFile) -> list[AuditEvent]:
    """Every audited read and change of the file (C2): for its supervisors in scope."""
    if not actor.can("people.access_log"):
        raise Forbidden("permission 'people.access_log' required")
    return list(
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.object_type == "victim_file", AuditEvent.object_id == file.public_id)
            .order_by(AuditEvent.seq)
        ).scalars()
    )
