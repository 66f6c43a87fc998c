"""Queries and rules of the leads subject: scope, the inbox, a lead's view, the reporter's status.

A lead belongs to the unit that must act on it (its owner unit). Staff see the leads of units
inside their jurisdiction and in their department line, so the unit above an overdue county
sees what was escalated to it; everything else answers "not found".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from fanguai.core.actor import Actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.db import utcnow
from fanguai.errors import Conflict, Forbidden, NotFound
from fanguai.leads import catalogue
from fanguai.leads.models import Institution, InstitutionMember, Lead, LeadAttachment, LeadEvent
from fanguai.leads.schemas import LeadDetail, LeadListItem, PublicStatus, TimelineEntry
from fanguai.org.models import Unit, User
from fanguai.security.scope import covers, covers_clause
from fanguai.tasks.models import Task

BEIJING = ZoneInfo("Asia/Shanghai")
TASK_KIND = "leads.acknowledge"
SUBJECT_TYPE = "lead"
# Tracking codes and passphrases: no 0/O, 1/I/L look-alikes, easy to read out on the phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ENCRYPTED = (
    "reporter_name",
    "reporter_phone",
    "description",
    "child",
    "place_text",
    "point",
    "outcome_note",
)


# --- time -----------------------------------------------------------------------------------


def hour_of(now: datetime) -> datetime:
    """The start of the hour (what a public lead keeps of its arrival time)."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def next_hour(now: datetime) -> datetime:
    """The start of the next hour (deadlines of public leads count from it: never earlier)."""
    return hour_of(now) + timedelta(hours=1)


def month_of(moment: datetime) -> str:
    """``YYYY-MM`` in Beijing time."""
    return moment.astimezone(BEIJING).strftime("%Y-%m")


def beijing_text(moment: datetime | None) -> str | None:
    """``YYYY-MM-DD HH:mm`` in Beijing time."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if moment else None


def received_text(lead: Lead) -> str:
    """When the lead came, in Beijing time; a public lead's to the hour (``2026-12-01 23时``)."""
    if lead.received_at is not None:
        return beijing_text(lead.received_at) or ""
    return lead.received_hour.astimezone(BEIJING).strftime("%Y-%m-%d %H时")


# --- codes ----------------------------------------------------------------------------------


def new_tracking_code() -> str:
    """``XS-XXXX-XXXX`` (40 random bits; uniqueness is enforced by the table)."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"XS-{chars[:4]}-{chars[4:]}"


def new_passphrase() -> str:
    """Three groups of four characters (about 59 random bits)."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def _normal(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def normal_tracking_code(code: str) -> str:
    """The stored spelling of a tracking code as a person may type it (case, spaces, dashes)."""
    chars = _normal(code)
    if chars.startswith("XS"):
        chars = chars[2:]
    return f"XS-{chars[:4]}-{chars[4:]}" if len(chars) == 8 else code.strip().upper()


def passphrase_digest(salt: str, passphrase: str) -> str:
    """What is stored of a passphrase: SHA-256 over a per-lead salt (the phrase is random)."""
    return hashlib.sha256(f"{salt}|{_normal(passphrase)}".encode()).hexdigest()


# --- scope ----------------------------------------------------------------------------------


def scope_clause(actor: Actor):  # type: ignore[no-untyped-def]
    """Leads owned by units inside the actor's jurisdiction and in the actor's department line."""
    return and_(covers_clause(actor, Unit.division_code), Unit.department == actor.department)


def in_scope(actor: Actor, lead: Lead) -> bool:
    """Python twin of ``scope_clause``."""
    unit = lead.owner_unit
    return covers(actor, unit.division_code) and unit.department == actor.department


def get_lead_for(session: Session, *, actor: Actor, public_id: str, lock: bool = False) -> Lead:
    """The lead, or ``NotFound`` when it does not exist or lies outside the actor's scope."""
    actor.require("leads.read")
    if lock:
        # Lock the row alone, then read it: PostgreSQL re-checks a locked row that another
        # transaction changed, and would hand back the outer-joined unit of the old version.
        session.execute(select(Lead.id).where(Lead.public_id == public_id).with_for_update())
    lead = session.execute(
        select(Lead).where(Lead.public_id == public_id).execution_options(populate_existing=lock)
    ).scalar_one_or_none()
    if lead is None or not in_scope(actor, lead):
        raise NotFound("lead not found")
    return lead


def check_version(lead: Lead, version: int) -> None:
    """Refuse a change made against an older version of the lead (G1: no lost updates)."""
    if lead.version != version:
        raise Conflict(
            f"the lead changed meanwhile (version {lead.version}, yours {version}); reload it",
            field="version",
        )


def institution_of(session: Session, actor: Actor) -> Institution:
    """The registered institution the actor reports for, or ``Forbidden``."""
    actor.require("leads.report")
    member = session.get(InstitutionMember, actor.user_id) if actor.user_id else None
    if member is None or not member.institution.active:
        raise Forbidden("this account is not registered for an institution that reports")
    return member.institution


# --- decryption -----------------------------------------------------------------------------


def decrypt(crypto: FieldCrypto, lead: Lead, column: str) -> str | None:
    """One encrypted column of the lead, in clear."""
    token = getattr(lead, column)
    if token is None:
        return None
    return crypto.decrypt(
        token, subject_id=lead.subject_id, table="lead", column=column, row_id=lead.public_id
    )


def seal(crypto: FieldCrypto, lead: Lead, column: str, value: str | None) -> str | None:
    """Encrypt a value for one column of the lead (None stays None)."""
    if value is None or value == "":
        return None
    return crypto.encrypt(
        value, subject_id=lead.subject_id, table="lead", column=column, row_id=lead.public_id
    )


def seal_event_note(crypto: FieldCrypto, lead: Lead, note: str | None) -> str | None:
    """Encrypt a timeline note under the lead's key (bound to the event table)."""
    if not note:
        return None
    return crypto.encrypt(
        note, subject_id=lead.subject_id, table="lead_event", column="note", row_id=lead.public_id
    )


def _event_note(crypto: FieldCrypto, lead: Lead, event: LeadEvent) -> str | None:
    if event.note is None:
        return None
    return crypto.decrypt(
        event.note,
        subject_id=lead.subject_id,
        table="lead_event",
        column="note",
        row_id=lead.public_id,
    )


# --- views ----------------------------------------------------------------------------------


def _ack_tasks(session: Session, leads: list[Lead]) -> dict[str, Task]:
    """The latest acknowledgement task of each lead (for overdue and escalation markers)."""
    ids = [lead.public_id for lead in leads]
    if not ids:
        return {}
    rows = session.execute(
        select(Task)
        .where(Task.subject_type == SUBJECT_TYPE, Task.subject_id.in_(ids), Task.kind == TASK_KIND)
        .order_by(Task.id)
    ).scalars()
    return {t.subject_id: t for t in rows}


def is_overdue(lead: Lead, now: datetime) -> bool:
    """Waiting for acknowledgement past its deadline."""
    return lead.status == "received" and lead.ack_due_at < now


def list_item(
    lead: Lead, task: Task | None, now: datetime, duplicate_of: str | None = None
) -> LeadListItem:
    """A lead as the inbox shows it (``duplicate_of``: the linked lead's tracking code)."""
    escalated = task is not None and task.escalated_at is not None and task.status == "open"
    return LeadListItem(
        id=lead.public_id,
        tracking_code=lead.tracking_code,
        lead_type=lead.lead_type,
        urgency=lead.urgency,
        status=lead.status,
        channel=lead.channel,
        county_code=lead.county_code,
        owner_unit=lead.owner_unit.name,
        received=received_text(lead),
        ack_due_at=beijing_text(lead.ack_due_at) or "",
        overdue=is_overdue(lead, now),
        escalated=escalated,
        duplicate_of=duplicate_of,
        version=lead.version,
    )


def _tracking_codes(session: Session, leads: list[Lead]) -> dict[int, str]:
    """Tracking codes of the leads these ones are linked to as near-duplicates."""
    ids = {lead.duplicate_of_id for lead in leads if lead.duplicate_of_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(Lead.id, Lead.tracking_code).where(Lead.id.in_(ids))).all()
    return {row.id: row.tracking_code for row in rows}


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox is narrowed to."""

    status: str = "open"  # open | received | acknowledged | closed | quarantined | all
    urgency: str | None = None
    lead_type: str | None = None
    channel: str | None = None
    county_code: str | None = None
    overdue: bool = False
    tracking_code: str | None = None


def _filtered(stmt, f: InboxFilter, now: datetime):  # type: ignore[no-untyped-def]
    if f.status == "open":
        stmt = stmt.where(Lead.status.in_(catalogue.OPEN_STATUSES))
    elif f.status != "all":
        stmt = stmt.where(Lead.status == f.status)
    else:
        stmt = stmt.where(Lead.status != "quarantined")
    if f.urgency:
        stmt = stmt.where(Lead.urgency == f.urgency)
    if f.lead_type:
        stmt = stmt.where(Lead.lead_type == f.lead_type)
    if f.channel:
        stmt = stmt.where(Lead.channel == f.channel)
    if f.county_code:
        stmt = stmt.where(Lead.county_code == f.county_code)
    if f.overdue:
        stmt = stmt.where(Lead.status == "received", Lead.ack_due_at < now)
    if f.tracking_code:
        stmt = stmt.where(Lead.tracking_code == normal_tracking_code(f.tracking_code))
    return stmt


def list_leads(
    session: Session,
    *,
    actor: Actor,
    filters: InboxFilter | None = None,
    page: int = 1,
    page_size: int = 50,
    now: datetime | None = None,
) -> tuple[list[LeadListItem], int]:
    """The inbox: leads in scope, urgent and overdue first, then by deadline."""
    actor.require("leads.read")
    now = now or utcnow()
    stmt = _filtered(
        select(Lead).join(Lead.owner_unit).where(scope_clause(actor)), filters or InboxFilter(), now
    )
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    waiting = (Lead.status == "received").desc()
    rows = list(
        session.execute(
            stmt.order_by(waiting, (Lead.urgency == "urgent").desc(), Lead.ack_due_at, Lead.id)
            .limit(page_size)
            .offset((max(1, page) - 1) * page_size)
        ).scalars()
    )
    tasks = _ack_tasks(session, rows)
    codes = _tracking_codes(session, rows)
    items = [
        list_item(lead, tasks.get(lead.public_id), now, codes.get(lead.duplicate_of_id or 0))
        for lead in rows
    ]
    return items, total


def timeline(session: Session, crypto: FieldCrypto, lead: Lead) -> list[TimelineEntry]:
    """The lead's history with the escalations of its deadlines, oldest first."""
    users = aliased(User)
    rows = session.execute(
        select(LeadEvent, users.display_name)
        .outerjoin(users, users.id == LeadEvent.user_id)
        .where(LeadEvent.lead_id == lead.id)
        .order_by(LeadEvent.at, LeadEvent.id)
    ).all()
    entries = [
        (
            event.at,
            TimelineEntry(
                at=beijing_text(event.at) or "",
                kind=event.kind,
                by=name,
                from_unit=event.from_unit.name if event.from_unit else None,
                to_unit=event.to_unit.name if event.to_unit else None,
                note=_event_note(crypto, lead, event),
            ),
        )
        for event, name in rows
    ]
    tasks = session.execute(
        select(Task).where(
            Task.subject_type == SUBJECT_TYPE,
            Task.subject_id == lead.public_id,
            Task.escalated_at.is_not(None),
        )
    ).scalars()
    for task in tasks:
        entries.append(
            (
                task.escalated_at,
                TimelineEntry(
                    at=beijing_text(task.escalated_at) or "",
                    kind="escalated",
                    from_unit=task.owner_unit.name,
                    to_unit=task.escalated_to.name if task.escalated_to else None,
                ),
            )
        )
    entries.sort(key=lambda pair: pair[0])
    return [entry for _, entry in entries]


def _point(crypto: FieldCrypto, lead: Lead) -> tuple[float | None, float | None]:
    raw = decrypt(crypto, lead, "point")
    if not raw:
        return None, None
    lat, lng = raw.split(",")
    return float(lat), float(lng)


def detail(
    session: Session, crypto: FieldCrypto, lead: Lead, now: datetime | None = None
) -> LeadDetail:
    """The lead as its handling unit sees it (narrative and reporter in clear)."""
    now = now or utcnow()
    task = _ack_tasks(session, [lead]).get(lead.public_id)
    child = decrypt(crypto, lead, "child")
    lat, lng = _point(crypto, lead)
    attachments = session.execute(
        select(LeadAttachment.public_id)
        .where(LeadAttachment.lead_id == lead.id)
        .order_by(LeadAttachment.id)
    ).scalars()
    return LeadDetail(
        **list_item(
            lead, task, now, _tracking_codes(session, [lead]).get(lead.duplicate_of_id or 0)
        ).model_dump(),
        description=decrypt(crypto, lead, "description") or "",
        child=json.loads(child) if child else None,
        place_text=decrypt(crypto, lead, "place_text"),
        lat=lat,
        lng=lng,
        last_seen_at=beijing_text(lead.last_seen_at),
        reporter_kind=lead.reporter_kind,
        reporter_name=decrypt(crypto, lead, "reporter_name"),
        reporter_phone=decrypt(crypto, lead, "reporter_phone"),
        institution=lead.institution.name if lead.institution else None,
        outcome=lead.outcome,
        outcome_note=decrypt(crypto, lead, "outcome_note"),
        case_id=lead.case_public_id,
        quarantine_reason=lead.quarantine_reason,
        attachments=list(attachments),
        timeline=timeline(session, crypto, lead),
    )


def duplicates_of(session: Session, lead: Lead) -> list[Lead]:
    """Leads linked to this one as near-duplicates (either way)."""
    clauses = [Lead.duplicate_of_id == lead.id]
    if lead.duplicate_of_id is not None:
        clauses.append(Lead.id == lead.duplicate_of_id)
    return list(
        session.execute(select(Lead).where(or_(*clauses), Lead.id != lead.id)).scalars().all()
    )


def get_attachment_for(
    session: Session, crypto: FieldCrypto, *, actor: Actor, public_id: str
) -> tuple[str, bytes]:
    """A lead's photo (content type, bytes), if the lead is in the actor's scope."""
    import base64

    actor.require("leads.read")
    attachment = session.execute(
        select(LeadAttachment).where(LeadAttachment.public_id == public_id)
    ).scalar_one_or_none()
    lead = session.get(Lead, attachment.lead_id) if attachment is not None else None
    if attachment is None or lead is None or not in_scope(actor, lead):
        raise NotFound("attachment not found")
    data = crypto.decrypt(
        attachment.data,
        subject_id=lead.subject_id,
        table="lead_attachment",
        column="data",
        row_id=attachment.public_id,
    )
    return attachment.content_type, base64.b64decode(data)


# --- the reporter's side ----------------------------------------------------------------------


def public_step(lead: Lead) -> str:
    """The step the reporter sees: received, in_progress or closed."""
    return catalogue.PUBLIC_STATUS[lead.status]


# A fixed salt and digest for unknown codes, so both failures cost the same.
_DUMMY_SALT = "0" * 32


def public_status(session: Session, *, tracking_code: str, passphrase: str) -> PublicStatus:
    """The lead's public step for a matching code and passphrase; one answer for any mismatch."""
    code = normal_tracking_code(tracking_code)
    lead = session.execute(select(Lead).where(Lead.tracking_code == code)).scalar_one_or_none()
    salt = lead.passphrase_salt if lead is not None else _DUMMY_SALT
    digest = passphrase_digest(salt, passphrase)
    if lead is None or not hmac.compare_digest(digest, lead.passphrase_hash):
        raise NotFound("no lead with this tracking code and passphrase")
    status = public_step(lead)
    received = (lead.received_at or lead.received_hour).astimezone(BEIJING).strftime("%Y-%m-%d")
    return PublicStatus(tracking_code=lead.tracking_code, status=status, received=received)  # type: ignore[arg-type]


def institution_reports(session: Session, *, actor: Actor, limit: int = 50) -> list[Lead]:
    """The reports the actor's institution filed, newest first."""
    institution = institution_of(session, actor)
    return list(
        session.execute(
            select(Lead)
            .where(Lead.institution_id == institution.id)
            .order_by(Lead.id.desc())
            .limit(limit)
        ).scalars()
    )
