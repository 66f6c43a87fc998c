"""Deadlines of a found person, as tracked tasks (督办) with reminders and escalation.

- Search notice (寻亲公告) within 24 hours of entering a shelter, by the county's civil affairs.
- Police DNA sampling (采血) within 7 working days of entering the shelter, or of being
  registered when the person was never in a shelter, by the county's public security bureau.
- Re-test (复核) of a DNA-supported candidate within 7 working days, by the city's DNA lab
  (the city public security bureau).

The worker's ``tasks.sweep`` sends the reminder and escalates a late task to the unit above.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.identify.calendar import load_calendar
from fanguai.identify.models import FoundPerson
from fanguai.org.models import Unit
from fanguai.tasks.models import Task
from fanguai.tasks.service import close_tasks, create_task

SUBJECT = "found_person"
SEARCH_NOTICE = "identify.search_notice"
DNA_SAMPLING = "identify.dna_sampling"
DNA_RETEST = "identify.dna_retest"
SEARCH_NOTICE_HOURS = 24
SAMPLING_WORKING_DAYS = 7
RETEST_WORKING_DAYS = 7


def _unit(session: Session, code: str) -> Unit | None:
    return session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()


def responsible_unit(
    session: Session, found: FoundPerson, abbr: str, *, city: bool = False
) -> Unit:
    """The unit of a department line (``GA`` police, ``MZ`` civil affairs) where the person
    was found (its city with ``city=True``); the registering unit where there is none."""
    code = found.county_code[:4] + "00" if city else found.county_code
    return _unit(session, f"{code}-{abbr}") or found.owner_unit


def open_registration_tasks(session: Session, found: FoundPerson, now: datetime) -> list[Task]:
    """The search-notice and sampling tasks of a newly registered person (inside an action)."""
    tasks = []
    if found.shelter_entered_at is not None and found.search_notice_at is None:
        tasks.append(
            create_task(
                session,
                kind=SEARCH_NOTICE,
                title="发布寻亲公告（入站24小时内）",
                subject_type=SUBJECT,
                subject_id=found.public_id,
                owner_unit=responsible_unit(session, found, "MZ"),
                due_at=found.shelter_entered_at + timedelta(hours=SEARCH_NOTICE_HOURS),
                now=now,
            )
        )
    if found.sampled_at is None:
        start = found.shelter_entered_at or now
        due = load_calendar(session).deadline(start, SAMPLING_WORKING_DAYS)
        tasks.append(
            create_task(
                session,
                kind=DNA_SAMPLING,
                title="采集血样入库检验（7个工作日内）",
                subject_type=SUBJECT,
                subject_id=found.public_id,
                owner_unit=responsible_unit(session, found, "GA"),
                due_at=due,
                now=now,
            )
        )
    return tasks


def open_retest_task(session: Session, found: FoundPerson, now: datetime) -> Task | None:
    """A re-test task for the city's DNA lab, unless one is already open (inside an action)."""
    existing = session.execute(
        select(Task).where(
            Task.subject_type == SUBJECT,
            Task.subject_id == found.public_id,
            Task.kind == DNA_RETEST,
            Task.status == "open",
        )
    ).scalar_one_or_none()
    if existing is not None:
        return None
    return create_task(
        session,
        kind=DNA_RETEST,
        title="DNA支持候选复核检验（7个工作日内）",
        subject_type=SUBJECT,
        subject_id=found.public_id,
        owner_unit=responsible_unit(session, found, "GA", city=True),
        due_at=load_calendar(session).deadline(now, RETEST_WORKING_DAYS),
        now=now,
    )


def close(
    session: Session,
    found: FoundPerson,
    kind: str | None,
    *,
    by_user_id: int | None,
    now: datetime,
    status: str = "done",
    note: str | None = None,
) -> list[Task]:
    """Close the person's open tasks of one kind (all kinds with ``None``)."""
    return close_tasks(
        session,
        subject_type=SUBJECT,
        subject_id=found.public_id,
        kind=kind,
        status=status,
        note=note,
        by_user_id=by_user_id,
        now=now,
    )
