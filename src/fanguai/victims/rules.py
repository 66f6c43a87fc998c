"""Rules that create tasks from the state of victim files, run by the worker on its clock.

- 3 months in a shelter, identity still unknown → a household-registration application for
  civil affairs and the registration for the police (二(三)1(5));
- of school age without a placement → education (二(三)2(1));
- 16 or over and wanting work, no employment service yet → human resources (二(三)2(2));
- 1, 3, 6 and 12 months after the return home → a follow-up visit for the owner unit (二(三)3).

Each rule fires at most once per file: ``victim_rule_fire`` holds (file, rule) under a unique
constraint, written in the same action as the tasks. Files are read first, without writing;
only a file with a rule due opens an action (so a quiet pass leaves no audit records).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.core.actions import action
from fanguai.core.actor import system_actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.db import Database
from fanguai.org.models import Unit
from fanguai.tasks import service as tasks
from fanguai.victims import catalogue as c
from fanguai.victims import service
from fanguai.victims.models import VictimFile, VictimRuleFire

log = logging.getLogger(__name__)

# How long each task gives the unit, counted from when the rule fires.
HUKOU_APPLICATION_DAYS = 30
HUKOU_REGISTRATION_DAYS = 60
SCHOOL_DAYS = 30
EMPLOYMENT_DAYS = 30
# A follow-up task appears a week before the visit is due and may be done up to a week after.
FOLLOWUP_LEAD = timedelta(days=7)
FOLLOWUP_GRACE = timedelta(days=8)


@dataclass(frozen=True)
class TaskSpec:
    """A task a rule asks for: its kind, the owning line and its deadline."""

    kind: str
    line: str | None  # a department line's county unit; None: the file's owner unit
    due_at: datetime
    remind_at: datetime | None = None


@dataclass
class Due:
    """A rule due for a file, and the tasks it creates."""

    rule: str
    tasks: list[TaskSpec] = field(default_factory=list)


@dataclass(frozen=True)
class Facts:
    """What the rules look at, read once per file."""

    today: date
    age_lo: int | None
    age_hi: int | None
    kinds: frozenset[str]
    shelter_since: date | None  # first day in a shelter, when a stay is still running
    returned_on: date | None


def _facts(session: Session, crypto: FieldCrypto, file: VictimFile, now: datetime) -> Facts:
    today = service.today_in_beijing(now)
    services = service.services_of(session, file)
    shelters = [s for s in services if s.kind == "shelter"]
    still_in = any(s.ended_on is None for s in shelters)
    returns = [s.started_on for s in services if s.kind == "return_home"]
    lo, hi = service.age_bounds(crypto, file, today)
    return Facts(
        today=today,
        age_lo=lo,
        age_hi=hi,
        kinds=frozenset(s.kind for s in services),
        shelter_since=min(s.started_on for s in shelters) if still_in else None,
        returned_on=returns[0] if returns else None,
    )


def _hukou(file: VictimFile, facts: Facts, now: datetime) -> list[Due]:
    if file.status != "open" or file.identified_on is not None or file.hukou_applied_on:
        return []
    if facts.shelter_since is None:
        return []
    if service.add_months(facts.shelter_since, c.SHELTER_MONTHS) > facts.today:
        return []
    return [
        Due(
            "hukou",
            [
                TaskSpec(
                    "victims.hukou_application",
                    "civil_affairs",
                    now + timedelta(days=HUKOU_APPLICATION_DAYS),
                ),
                TaskSpec(
                    "victims.hukou_registration",
                    "police",
                    now + timedelta(days=HUKOU_REGISTRATION_DAYS),
                ),
            ],
        )
    ]


def _school(file: VictimFile, facts: Facts, now: datetime) -> list[Due]:
    if "schooling" in facts.kinds or not service.is_school_age(facts.age_lo, facts.age_hi):
        return []
    return [
        Due(
            "school",
            [TaskSpec("victims.school_placement", "education", now + timedelta(days=SCHOOL_DAYS))],
        )
    ]


def _employment(file: VictimFile, facts: Facts, now: datetime) -> list[Due]:
    if not file.wants_work or "employment" in facts.kinds:
        return []
    if not service.is_work_age(facts.age_lo):
        return []
    return [
        Due(
            "employment",
            [TaskSpec("victims.employment", "hr", now + timedelta(days=EMPLOYMENT_DAYS))],
        )
    ]


def _followups(file: VictimFile, facts: Facts, now: datetime) -> list[Due]:
    if file.status != "returned" or facts.returned_on is None:
        return []
    due = []
    for months in c.FOLLOWUP_MONTHS:
        visit = service.beijing_midnight(service.add_months(facts.returned_on, months))
        if now >= visit - FOLLOWUP_LEAD:
            due.append(
                Due(
                    f"followup_{months}",
                    [
                        TaskSpec(
                            f"victims.followup_{months}",
                            None,
                            due_at=visit + FOLLOWUP_GRACE,
                            remind_at=visit,
                        )
                    ],
                )
            )
    return due


RULES: tuple[Callable[[VictimFile, Facts, datetime], list[Due]], ...] = (
    _hukou,
    _school,
    _employment,
    _followups,
)


def due_rules(session: Session, crypto: FieldCrypto, file: VictimFile, now: datetime) -> list[Due]:
    """The rules due for a file at ``now`` that have not fired yet."""
    if file.status == "closed" or file.erased_at is not None:
        return []
    fired = set(
        session.execute(
            select(VictimRuleFire.rule).where(VictimRuleFire.file_id == file.id)
        ).scalars()
    )
    facts = _facts(session, crypto, file, now)
    return [d for rule in RULES for d in rule(file, facts, now) if d.rule not in fired]


def line_unit(session: Session, file: VictimFile, line: str | None) -> Unit:
    """The unit of a department line at the file's division (the owner unit as a fallback)."""
    if line is None or line == file.owner_unit.department:
        return file.owner_unit
    code = f"{file.owner_unit.division_code}-{c.LINE_ABBR[line]}"
    unit = session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
    if unit is None:
        log.warning("no %s unit at %s: task goes to the file's owner", line, code)
        return file.owner_unit
    return unit


def _fire(session: Session, file_id: int, now: datetime, crypto: FieldCrypto) -> int:
    """Fire the due rules of one file in one action; returns the number of tasks created."""
    from fanguai.web.i18n import translate

    created = 0
    with action(
        session, system_actor("worker:victims"), "victims.rules", object_type="victim_file"
    ) as act:
        file = session.get(VictimFile, file_id)
        if file is None:
            return 0
        act.object_id = file.public_id
        for due in due_rules(session, crypto, file, now):
            session.add(VictimRuleFire(file_id=file.id, rule=due.rule, fired_at=now))
            for spec in due.tasks:
                tasks.create_task(
                    session,
                    kind=spec.kind,
                    title=translate(
                        "victims.task." + spec.kind.removeprefix("victims."),
                        file_no=file.file_no,
                    ),
                    subject_type=service.FILE_SUBJECT,
                    subject_id=file.public_id,
                    owner_unit=line_unit(session, file, spec.line),
                    due_at=spec.due_at,
                    remind_at=spec.remind_at,
                    now=now,
                )
                created += 1
            act.detail.setdefault("rules", []).append(due.rule)
    return created


def run_rules(db: Database, crypto: FieldCrypto, now: datetime) -> int:
    """Apply every rule to every open or returned file; returns how many tasks were created."""
    created = 0
    with db.session() as session:
        candidates = list(
            session.execute(
                select(VictimFile)
                .where(
                    VictimFile.status != "closed",
                    VictimFile.erased_at.is_(None),
                    VictimFile.opened_at <= now,  # a controlled clock may run before a file
                )
                .order_by(VictimFile.id)
            ).scalars()
        )
        due_ids = [f.id for f in candidates if due_rules(session, crypto, f, now)]
        session.rollback()
        for file_id in due_ids:
            try:
                created += _fire(session, file_id, now, crypto)
            except Exception:  # noqa: BLE001 - one bad file must not hold back the others
                log.exception("victim rules failed for file %s", file_id)
    return created
