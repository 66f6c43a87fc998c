"""Missing-child cases: opening, the case leader and team, duties, sign-off and closing.

``open_case_from_lead`` and ``close_as_found`` run inside the caller's action (the leads and
identification modules call them from their own); everything else here is queries and rules
that ``fanguai.alerts.actions`` wraps in actions.
"""

from __future__ import annotations

import math
import numbers
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from fanguai.alerts import alerting, regions
from fanguai.alerts.config import AlertSettings, alert_settings
from fanguai.alerts.models import (
    CATEGORIES,
    OUTCOMES,
    SEXES,
    Alert,
    CaseCounter,
    CaseEvent,
    CaseMember,
    MissingCase,
)
from fanguai.core.actor import Actor
from fanguai.db import new_public_id, utcnow
from fanguai.errors import Conflict, Forbidden, InvalidInput, NotFound
from fanguai.geo.service import OutsideJiangsu, locate
from fanguai.org.models import Unit, User
from fanguai.org.service import unit_above
from fanguai.outbox import enqueue
from fanguai.people.models import Person
from fanguai.security.crypto_runtime import field_crypto
from fanguai.security.scope import covers, covers_clause
from fanguai.tasks.service import close_tasks, create_task

BEIJING = ZoneInfo("Asia/Shanghai")
SUBJECT_TYPE = "missing_case"
POLICE = "police"
LEVEL_RANK = {"county": 1, "city": 2, "province": 3}
# Clocks of phones and servers disagree a little; a last-seen time this far ahead is accepted.
CLOCK_SKEW = timedelta(minutes=2)
DUTIES = (
    # (task kind, title, settings attribute with the deadline in hours)
    ("alerts.duty.rescue", "查找解救", "rescue_hours"),
    ("alerts.duty.investigation", "侦查破案", "investigation_hours"),
    ("alerts.duty.family", "家属安抚与联络", "family_hours"),
)

__all__ = [
    "close_as_found",
    "get_case_for",
    "list_cases",
    "list_open_cases",
    "open_case",
    "open_case_from_lead",
]


# ---------------------------------------------------------------- checks


def check_point(lat: float | None, lng: float | None) -> tuple[float, float] | None:
    """A last-seen point: both or neither, finite, in range, inside China."""
    if lat is None and lng is None:
        return None
    for field, value, limit in (("last_seen_lat", lat, 90.0), ("last_seen_lng", lng, 180.0)):
        if value is None:
            raise InvalidInput("give both latitude and longitude, or neither", field=field)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise InvalidInput(f"{field} must be a number", field=field)
        if not math.isfinite(value) or not -limit <= value <= limit:
            raise InvalidInput(f"{field} {value!r} is out of range", field=field)
    assert lat is not None and lng is not None
    if not regions.in_china(float(lat), float(lng)):
        raise InvalidInput(
            f"the last-seen place (lat {lat}, lng {lng}) lies outside China", field="last_seen_lat"
        )
    return float(lat), float(lng)


def check_last_seen_at(moment: datetime, now: datetime) -> datetime:
    """A last-seen time with a zone, not in the future."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise InvalidInput("the last-seen time needs a time zone", field="last_seen_at")
    if moment > now + CLOCK_SKEW:
        raise InvalidInput("the last-seen time is in the future", field="last_seen_at")
    return moment


def check_child(child: Mapping[str, Any]) -> dict[str, Any]:
    """The child's details: name (may be unknown), sex, age (may be unknown), description."""
    unknown = sorted(set(child) - {"name", "sex", "age", "description"})
    if unknown:
        raise InvalidInput(f"unknown child fields: {', '.join(unknown)}", field="child")
    name = (child.get("name") or "").strip() or None
    if name is not None and len(name) > 64:
        raise InvalidInput("the child's name is over 64 characters", field="child.name")
    sex = child.get("sex") or "unknown"
    if sex not in SEXES:
        raise InvalidInput("sex must be male, female or unknown", field="child.sex")
    age = child.get("age")
    if age is not None and (isinstance(age, bool) or not isinstance(age, int) or not 0 <= age < 18):
        raise InvalidInput("age must be a whole number from 0 to 17", field="child.age")
    description = (child.get("description") or "").strip()
    if len(description) > 1000:
        raise InvalidInput("the description is over 1000 characters", field="child.description")
    return {"name": name, "sex": sex, "age": age, "description": description}


def check_category(category: str) -> str:
    """One of the case categories."""
    if category not in CATEGORIES:
        raise InvalidInput(f"category must be one of {', '.join(CATEGORIES)}", field="category")
    return category


# ---------------------------------------------------------------- leader and team


def is_leader_eligible(user: User) -> bool:
    """A police head (supervisor role) of a county-level unit or above, still active."""
    unit = user.unit
    return (
        user.is_active
        and "supervisor" in user.role_codes
        and unit.department == POLICE
        and unit.level in LEVEL_RANK
    )


def check_leader(user: User, county_code: str) -> User:
    """Refuse a leader who is not a police head whose jurisdiction covers the case."""
    unit = user.unit
    if not is_leader_eligible(user):
        raise InvalidInput(
            "the case leader must be a police head (supervisor) at county level or above",
            field="leader",
        )
    prefix = {"province": unit.division_code[:2], "city": unit.division_code[:4]}
    if not county_code.startswith(prefix.get(unit.level, unit.division_code)):
        raise InvalidInput("the case leader's jurisdiction does not cover the case", field="leader")
    return user


def default_leader(session: Session, unit: Unit) -> User:
    """The first police head of the unit, or of the unit above if it has none."""
    current: Unit | None = unit
    while current is not None:
        heads = session.execute(
            select(User)
            .where(User.unit_id == current.id, User.is_active.is_(True))
            .order_by(User.id)
        ).scalars()
        for user in heads:
            if is_leader_eligible(user):
                return user
        current = unit_above(session, current)
    raise Conflict("no police head (supervisor) found to lead the case; assign one first")


def user_by_public_id(session: Session, public_id: str) -> User:
    """A staff user by public id (the leader and team pickers)."""
    user = session.execute(select(User).where(User.public_id == public_id)).scalar_one_or_none()
    if user is None:
        raise InvalidInput("unknown staff user", field="leader")
    return user


def leader_candidates(session: Session, case: MissingCase) -> list[User]:
    """Police heads whose jurisdiction covers the case (for the leader picker)."""
    rows = session.execute(
        select(User)
        .join(User.unit)
        .where(Unit.department == POLICE, User.is_active.is_(True))
        .order_by(Unit.level.desc(), Unit.division_code, User.username)
    ).scalars()
    out = []
    for user in rows:
        try:
            check_leader(user, case.county_code)
        except InvalidInput:
            continue
        out.append(user)
    return out


def may_sign_off(actor: Actor, case: MissingCase) -> bool:
    """The case leader, or a police head above the leader's unit whose jurisdiction covers it."""
    if not actor.is_user or actor.user_id is None:
        return False
    if actor.user_id == case.leader_id:
        return "cases.close" in actor.permissions
    leader_unit = case.leader.unit
    return (
        "cases.close" in actor.permissions
        and actor.department == POLICE
        and LEVEL_RANK.get(actor.level or "", 0) > LEVEL_RANK.get(leader_unit.level, 0)
        and covers(actor, leader_unit.division_code)
    )


def add_member(session: Session, case: MissingCase, user: User, role: str = "member") -> None:
    """Put a police user on the team (once)."""
    if user.unit.department != POLICE:
        raise InvalidInput("the case team is made of police staff", field="user")
    existing = session.execute(
        select(CaseMember).where(CaseMember.case_id == case.id, CaseMember.user_id == user.id)
    ).scalar_one_or_none()
    if existing is None:
        session.add(CaseMember(case_id=case.id, user_id=user.id, role=role))
    elif role == "leader":
        existing.role = "leader"


def set_leader(session: Session, case: MissingCase, user: User) -> None:
    """Make ``user`` the leader; the former leader stays on the team as a member."""
    check_leader(user, case.county_code)
    session.execute(
        update(CaseMember)
        .where(CaseMember.case_id == case.id, CaseMember.role == "leader")
        .values(role="member")
    )
    case.leader_id = user.id
    case.leader = user
    session.flush()
    add_member(session, case, user, "leader")


def team(session: Session, case: MissingCase) -> list[CaseMember]:
    """The case team, leader first."""
    return list(
        session.execute(
            select(CaseMember)
            .where(CaseMember.case_id == case.id)
            .order_by(CaseMember.role != "leader", CaseMember.id)
        ).scalars()
    )


# ---------------------------------------------------------------- opening


def _next_case_no(session: Session, county_code: str, now: datetime) -> str:
    """``<county>-<year>-<seq>``: per county and year, strictly increasing, never repeated."""
    year = now.astimezone(BEIJING).year
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(CaseCounter).values(county_code=county_code, year=year, last=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["county_code", "year"], set_={"last": CaseCounter.last + 1}
    ).returning(CaseCounter.last)
    seq = session.execute(stmt).scalar_one()
    return f"{county_code}-{year}-{seq:05d}"


def _county_for(point: tuple[float, float] | None, unit: Unit) -> str:
    if point is not None:
        try:
            return locate(*point).county.code
        except OutsideJiangsu:
            pass  # a Jiangsu child last seen elsewhere in China: the reporting unit's place
    return unit.division_code


def _new_person(
    session: Session, *, kind: str, owner_unit_id: int, county_code: str, values: dict[str, Any]
) -> Person:
    """A person row with encrypted identity fields (inside the caller's action)."""
    crypto = field_crypto()
    public_id = new_public_id()
    subject_id = f"person:{uuid.uuid4()}"

    def seal(column: str) -> str | None:
        value = values.get(column)
        if value is None or value == "":
            return None
        return crypto.encrypt(
            str(value), subject_id=subject_id, table="person", column=column, row_id=public_id
        )

    age = values.get("age")
    person = Person(
        public_id=public_id,
        subject_id=subject_id,
        owner_unit_id=owner_unit_id,
        kind=kind,
        sex=values.get("sex") or "unknown",
        age_min=age,
        age_max=age,
        county_code=county_code,
        name=seal("name"),
        phone=seal("phone"),
        notes=seal("notes"),
    )
    session.add(person)
    session.flush()
    return person


def event(
    session: Session,
    case: MissingCase,
    kind: str,
    note: str,
    actor: Actor | str,
    at: datetime | None = None,
) -> None:
    """Add a line to the case timeline."""
    name = actor if isinstance(actor, str) else actor.name
    session.add(
        CaseEvent(case_id=case.id, at=at or utcnow(), kind=kind, note=note, actor_name=name)
    )


def open_case(
    session: Session,
    *,
    actor: Actor,
    child: Mapping[str, Any],
    last_seen_place: str | None,
    last_seen_lat: float | None,
    last_seen_lng: float | None,
    last_seen_at: datetime,
    category: str,
    guardian: Mapping[str, Any] | None = None,
    leader: User | None = None,
    contact_phone: str | None = None,
    lead_public_id: str | None = None,
    settings: AlertSettings | None = None,
    now: datetime | None = None,
) -> MissingCase:
    """Open a case inside the caller's action: child (and guardian) in the people module, the
    leader and team, the three duties as tracked tasks, the first timeline line."""
    actor.require("cases.manage")
    now = now or utcnow()
    settings = settings or alert_settings()
    if actor.unit_id is None or actor.department != POLICE:
        raise Forbidden("missing-child cases are opened by police staff")
    details = check_child(child)
    point = check_point(last_seen_lat, last_seen_lng)
    check_last_seen_at(last_seen_at, now)
    check_category(category)
    place = (last_seen_place or "").strip() or None
    if place is None and point is None:
        raise InvalidInput("give the last-seen place or its coordinates", field="last_seen_place")
    phone = (contact_phone or "110").strip()
    if not phone or len(phone) > 32 or not all(c.isdigit() or c in "-+ " for c in phone):
        raise InvalidInput("the contact number must be a phone number", field="contact_phone")
    unit = session.get(Unit, actor.unit_id)
    assert unit is not None
    county = _county_for(point, unit)
    chosen = check_leader(leader, county) if leader is not None else default_leader(session, unit)
    person = _new_person(
        session,
        kind="missing_child",
        owner_unit_id=unit.id,
        county_code=county,
        values={**details, "notes": details["description"]},
    )
    guardian_person = None
    if guardian and (guardian.get("name") or guardian.get("phone")):
        guardian_person = _new_person(
            session,
            kind="parent",
            owner_unit_id=unit.id,
            county_code=county,
            values={"name": guardian.get("name"), "phone": guardian.get("phone")},
        )
    case = MissingCase(
        case_no=_next_case_no(session, county, now),
        person_id=person.id,
        guardian_person_id=guardian_person.id if guardian_person else None,
        lead_public_id=lead_public_id,
        owner_unit_id=unit.id,
        county_code=county,
        category=category,
        child_sex=details["sex"],
        child_age=details["age"],
        description=details["description"],
        last_seen_place=place,
        last_seen_lat=point[0] if point else None,
        last_seen_lng=point[1] if point else None,
        last_seen_at=last_seen_at,
        contact_phone=phone,
        leader_id=chosen.id,
        opened_at=now,
        opened_month=now.astimezone(BEIJING).strftime("%Y-%m"),
        opened_by=actor.name,
    )
    session.add(case)
    session.flush()
    add_member(session, case, chosen, "leader")
    if actor.user_id is not None and actor.user_id != chosen.id:
        add_member(session, case, session.get(User, actor.user_id) or chosen)  # the reporter
    for kind, title, hours in DUTIES:
        create_task(
            session,
            kind=kind,
            title=f"{title}（{case.case_no}）",
            subject_type=SUBJECT_TYPE,
            subject_id=case.public_id,
            owner_unit=unit,
            due_at=now + timedelta(hours=getattr(settings, hours)),
            assignee_id=chosen.id,
            now=now,
        )
    event(session, case, "opened", f"立案，专案组长：{chosen.display_name}", actor, now)
    enqueue(
        session,
        kind="case.opened",
        unit_id=unit.id,
        user_id=chosen.id,
        payload={"case": case.public_id, "case_no": case.case_no},
    )
    return case


def open_case_from_lead(
    session: Session,
    *,
    actor: Actor,
    lead_public_id: str,
    child: dict,
    last_seen_place: str | None,
    last_seen_lat: float | None,
    last_seen_lng: float | None,
    last_seen_at: datetime,
    category: str,
) -> MissingCase:
    """Open a case from a lead, inside the leads module's own action (no action here)."""
    return open_case(
        session,
        actor=actor,
        child=child,
        last_seen_place=last_seen_place,
        last_seen_lat=last_seen_lat,
        last_seen_lng=last_seen_lng,
        last_seen_at=last_seen_at,
        category=category,
        lead_public_id=lead_public_id,
    )


# ---------------------------------------------------------------- reading


def scope_clause(actor: Actor):  # type: ignore[no-untyped-def]
    """Cases of units inside the actor's jurisdiction and department line."""
    return and_(covers_clause(actor, Unit.division_code), Unit.department == actor.department)


def in_scope(actor: Actor, case: MissingCase) -> bool:
    """Python twin of ``scope_clause``."""
    unit = case.owner_unit
    return covers(actor, unit.division_code) and unit.department == actor.department


def get_case_for(session: Session, *, actor: Actor, public_id: str) -> MissingCase:
    """The case, or NotFound when missing or outside the actor's scope."""
    actor.require("cases.read")
    case = session.execute(
        select(MissingCase).where(MissingCase.public_id == public_id)
    ).scalar_one_or_none()
    if case is None or not in_scope(actor, case):
        raise NotFound("case not found")
    return case


def list_cases(
    session: Session,
    *,
    actor: Actor,
    status: str | None = "open",
    category: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[MissingCase], int]:
    """Cases in scope, newest disappearance first, with the total."""
    actor.require("cases.read")
    stmt = select(MissingCase).join(MissingCase.owner_unit).where(scope_clause(actor))
    if status:
        stmt = stmt.where(MissingCase.status == status)
    if category:
        stmt = stmt.where(MissingCase.category == check_category(category))
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(
        stmt.order_by(MissingCase.last_seen_at.desc(), MissingCase.id.desc())
        .limit(page_size)
        .offset((max(1, page) - 1) * page_size)
    ).scalars()
    return list(rows), total


def list_open_cases(session: Session, *, actor: Actor) -> list[MissingCase]:
    """Every open case the actor may see, newest disappearance first."""
    actor.require("cases.read")
    return list(
        session.execute(
            select(MissingCase)
            .join(MissingCase.owner_unit)
            .where(scope_clause(actor), MissingCase.status == "open")
            .order_by(MissingCase.last_seen_at.desc(), MissingCase.id.desc())
        ).scalars()
    )


def timeline(session: Session, case: MissingCase) -> list[CaseEvent]:
    """The case's timeline, oldest first."""
    return list(
        session.execute(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id)
            .order_by(CaseEvent.at, CaseEvent.id)
        ).scalars()
    )


def masked_child_name(case: MissingCase, session: Session) -> str | None:
    """The child's name with all but the first character hidden (for lists and alerts)."""
    from fanguai.people.service import mask_name

    person = session.get(Person, case.person_id)
    if person is None or person.name is None or person.erased_at is not None:
        return None
    name = field_crypto().decrypt(
        person.name,
        subject_id=person.subject_id,
        table="person",
        column="name",
        row_id=person.public_id,
    )
    return mask_name(name)


def alert_of(session: Session, case: MissingCase) -> Alert | None:
    """The case's alert, if one was published."""
    return session.execute(select(Alert).where(Alert.case_id == case.id)).scalar_one_or_none()


# ---------------------------------------------------------------- closing


def review(session: Session, *, actor: Actor, case: MissingCase, note: str, now: datetime) -> None:
    """Record a review of an unsolved case (the team stays; the case stays open)."""
    if case.status != "open":
        raise Conflict("the case is closed")
    note = (note or "").strip()
    if not note:
        raise InvalidInput("write what the review found", field="note")
    case.last_reviewed_at = now
    event(session, case, "reviewed", note[:2000], actor, now)


def close(
    session: Session,
    *,
    actor: Actor,
    case: MissingCase,
    outcome: str | None,
    reason: str | None,
    now: datetime,
) -> MissingCase:
    """Close with an outcome and the sign-off, inside the caller's action; withdraws the alert
    and closes the duties. An unsolved case (no outcome) is refused: it can only be reviewed."""
    if case.status != "open":
        raise Conflict("the case is already closed")
    if not outcome:
        raise Conflict(
            "an unsolved case cannot be closed (一长三包: the team stays until it is solved); "
            "record a review instead"
        )
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome must be one of {', '.join(OUTCOMES)}", field="outcome")
    reason = (reason or "").strip() or None
    if outcome == "other" and reason is None:
        raise InvalidInput("an other resolution needs its reason", field="reason")
    if not may_sign_off(actor, case):
        raise Forbidden("only the case leader or a police head above may sign off the closing")
    case.status = "closed"
    case.outcome = outcome
    case.outcome_reason = reason
    case.closed_at = now
    case.signed_off_by_id = actor.user_id
    alert = alert_of(session, case)
    if alert is not None and alert.status == "active":
        alerting.withdraw(session, alert=alert, actor_name=actor.name, now=now)
    close_tasks(
        session,
        subject_type=SUBJECT_TYPE,
        subject_id=case.public_id,
        note=f"结案：{outcome}",
        by_user_id=actor.user_id,
        now=now,
    )
    event(session, case, "closed", f"{outcome}" + (f"：{reason}" if reason else ""), actor, now)
    enqueue(
        session,
        kind="case.closed",
        unit_id=case.owner_unit_id,
        payload={"case": case.public_id, "case_no": case.case_no, "outcome": outcome},
    )
    return case


def close_as_found(
    session: Session,
    *,
    actor: Actor,
    case_public_id: str,
    note: str,
    outcome: str = "found_alive",
    now: datetime | None = None,
) -> MissingCase:
    """Close a case when the child is found (inside the identification module's action):
    outcome and sign-off, the "found" withdrawal to every recipient, the duties closed."""
    case = session.execute(
        select(MissingCase).where(MissingCase.public_id == case_public_id)
    ).scalar_one_or_none()
    if case is None or not in_scope(actor, case):
        raise NotFound("case not found")
    if outcome not in ("found_alive", "found_dead"):
        raise InvalidInput("a found child's outcome is found_alive or found_dead", field="outcome")
    return close(session, actor=actor, case=case, outcome=outcome, reason=note, now=now or utcnow())
