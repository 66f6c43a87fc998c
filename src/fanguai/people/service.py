"""Queries and rules of the people subject: scope, minor status, masking, access log."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from fanguai.audit.models import AuditEvent
from fanguai.core.actor import Actor
from fanguai.crypto.fields import FieldCrypto, mask
from fanguai.db import utcnow
from fanguai.errors import Forbidden, NotFound
from fanguai.org.models import Unit
from fanguai.people.models import AccessGrant, Person
from fanguai.people.schemas import PersonDetail, PersonSummary
from fanguai.security.scope import covers, covers_clause

BEIJING = ZoneInfo("Asia/Shanghai")
ENCRYPTED = ("name", "former_names", "id_card", "birth_date", "phone", "address", "notes")
REVEALABLE = ("name", "former_names", "id_card", "birth_date", "phone", "address")


def today_in_beijing(now: datetime | None = None) -> date:
    """The calendar date in Asia/Shanghai (ages change at Beijing midnight)."""
    return (now or utcnow()).astimezone(BEIJING).date()


def age_on(born: date, today: date) -> int:
    """Completed years (周岁). Born on 29 February: the birthday falls on 1 March otherwise."""
    birthday_this_year = (born.month, born.day)
    if birthday_this_year == (2, 29):
        leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
        birthday_this_year = (2, 29) if leap else (3, 1)
    years = today.year - born.year
    return years - 1 if (today.month, today.day) < birthday_this_year else years


def minor_status(
    birth_date: date | None, age_min: int | None, age_max: int | None, today: date
) -> str:
    """``under14``, ``under18``, ``adult`` or ``unknown``, computed when the record is read."""
    if birth_date is not None:
        age = age_on(birth_date, today)
    elif age_max is not None:
        age = age_max  # the oldest the person may be: a range below 18 is surely a minor
    else:
        return "unknown"
    if age < 14:
        return "under14"
    if age < 18:
        return "under18"
    if birth_date is None and (age_min is None or age_min < 18):
        return "unknown"  # the range may include minors: protect it as one
    return "adult"


def needs_grant(status: str) -> bool:
    """Minors' records, and records whose age is unknown, need an approved grant (B9)."""
    return status != "adult"


def _decrypt(crypto: FieldCrypto, person: Person, column: str) -> str | None:
    token = getattr(person, column)
    if token is None or person.erased_at is not None:
        return None
    return crypto.decrypt(
        token, subject_id=person.subject_id, table="person", column=column, row_id=person.public_id
    )


def birth_date_of(crypto: FieldCrypto, person: Person) -> date | None:
    """The decrypted birth date, or None."""
    raw = _decrypt(crypto, person, "birth_date")
    return date.fromisoformat(raw) if raw else None


def mask_name(name: str | None) -> str | None:
    """李明 → 李*, 欧阳晓明 → 欧***; the first character only (never split by position)."""
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"


def mask_address(address: str | None) -> str | None:
    """Keep the administrative part (…省…市…区/县), hide the street and number."""
    if not address:
        return address
    head = address[:12]
    cut = max((head.rfind(c) for c in "省市区县旗"), default=-1)
    return (address[: cut + 1] if cut >= 1 else address[:2]) + "…"


def _age_text(person: Person, born: date | None, today: date) -> str:
    if born is not None:
        return str(age_on(born, today))
    if person.age_min is not None or person.age_max is not None:
        return (
            f"{person.age_min if person.age_min is not None else '?'}–"
            f"{person.age_max if person.age_max is not None else '?'}"
        )
    return "unknown"


def scope_clause(actor: Actor):  # type: ignore[no-untyped-def]
    """Records of units inside the actor's jurisdiction and department line."""
    return and_(covers_clause(actor, Unit.division_code), Unit.department == actor.department)


def in_scope(actor: Actor, person: Person) -> bool:
    """Python twin of ``scope_clause``."""
    unit = person.owner_unit
    return covers(actor, unit.division_code) and unit.department == actor.department


def get_person_for(session: Session, *, actor: Actor, public_id: str) -> Person:
    """The person, or ``NotFound`` when missing or outside the actor's scope."""
    actor.require("people.read")
    person = session.execute(
        select(Person).where(Person.public_id == public_id)
    ).scalar_one_or_none()
    if person is None or not in_scope(actor, person):
        raise NotFound("person not found")
    return person


def summary(crypto: FieldCrypto, person: Person, today: date) -> PersonSummary:
    """The masked view used in lists."""
    born = birth_date_of(crypto, person)
    id_card = _decrypt(crypto, person, "id_card")
    return PersonSummary(
        id=person.public_id,
        kind=person.kind,
        name=mask_name(_decrypt(crypto, person, "name")),
        id_card=mask(id_card) if id_card else None,
        sex=person.sex,
        age=_age_text(person, born, today),
        minor=minor_status(born, person.age_min, person.age_max, today),
        owner_unit=person.owner_unit.name,
        erased=person.erased_at is not None,
    )


def detail(crypto: FieldCrypto, person: Person, today: date) -> PersonDetail:
    """The record view: identity masked (unmasking is a separate, audited request)."""
    base = summary(crypto, person, today)
    former = _decrypt(crypto, person, "former_names")
    phone = _decrypt(crypto, person, "phone")
    address = _decrypt(crypto, person, "address")
    return PersonDetail(
        **base.model_dump(),
        former_names=[mask_name(n) or "" for n in json.loads(former)] if former else [],
        phone=mask(phone, 3, 4) if phone else None,
        address=mask_address(address),
        notes=_decrypt(crypto, person, "notes"),
        county_code=person.county_code,
        created_at=person.created_at.isoformat(),
    )


def reveal_values(crypto: FieldCrypto, person: Person, fields: list[str]) -> dict[str, object]:
    """Plain values of the requested identity fields."""
    out: dict[str, object] = {}
    for name in fields:
        raw = _decrypt(crypto, person, name)
        out[name] = json.loads(raw) if name == "former_names" and raw else raw
    return out


def active_grant(
    session: Session, *, actor: Actor, person: Person, now: datetime | None = None
) -> AccessGrant | None:
    """The actor's approved, unexpired grant for this person, if any."""
    now = now or utcnow()
    return (
        session.execute(
            select(AccessGrant)
            .where(
                AccessGrant.person_id == person.id,
                AccessGrant.requester_id == actor.user_id,
                AccessGrant.status == "approved",
                AccessGrant.expires_at > now,
            )
            .order_by(AccessGrant.expires_at.desc())
        )
        .scalars()
        .first()
    )


def check_minor_access(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    person: Person,
    now: datetime | None = None,
) -> str:
    """Raise ``Forbidden`` when the record is a minor's (or of unknown age) and no grant holds."""
    today = today_in_beijing(now)
    status = minor_status(birth_date_of(crypto, person), person.age_min, person.age_max, today)
    if needs_grant(status) and active_grant(session, actor=actor, person=person, now=now) is None:
        raise Forbidden("access to a minor's record needs an approved access grant")
    return status


def list_people(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    id_card: str | None = None,
    kind: str | None = None,
    page: int = 1,
    page_size: int = 50,
    now: datetime | None = None,
) -> tuple[list[PersonSummary], int]:
    """Masked people in scope; an ID number finds its person through the blind index."""
    actor.require("people.read")
    stmt = select(Person).join(Person.owner_unit).where(scope_clause(actor))
    if id_card:
        # The same form as when stored: no spaces, upper-case X.
        number = "".join(id_card.split()).upper()
        stmt = stmt.where(Person.id_card_index == crypto.blind_index("person.id_card", number))
    if kind:
        stmt = stmt.where(Person.kind == kind)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    # Only the page is decrypted: the count comes from the database.
    rows = session.execute(
        stmt.order_by(Person.id.desc()).limit(page_size).offset((max(1, page) - 1) * page_size)
    ).scalars()
    today = today_in_beijing(now)
    return [summary(crypto, p, today) for p in rows], total


def access_log(session: Session, *, actor: Actor, person: Person) -> list[AuditEvent]:
    """Every audited access to this record (C2): the audit admin and the owner's supervisors."""
    if not (actor.can("audit.read") or actor.can("people.access_log")):
        raise Forbidden("permission 'people.access_log' required")
    return list(
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.object_type == "person", AuditEvent.object_id == person.public_id)
            .order_by(AuditEvent.seq)
        ).scalars()
    )
