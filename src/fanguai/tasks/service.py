"""Creating, closing, listing and sweeping tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from fanguai.core.actions import action
from fanguai.core.actor import Actor, system_actor
from fanguai.db import Database, utcnow
from fanguai.errors import Conflict, InvalidInput, NotFound
from fanguai.org.models import Unit
from fanguai.org.service import unit_above
from fanguai.outbox import enqueue
from fanguai.security.scope import covers, covers_clause
from fanguai.tasks.models import Task

# Without an explicit reminder, remind when this share of the time to the deadline has passed.
REMIND_SHARE = 0.75


def create_task(
    session: Session,
    *,
    kind: str,
    title: str,
    subject_type: str,
    subject_id: str,
    owner_unit: Unit,
    due_at: datetime,
    remind_at: datetime | None = None,
    assignee_id: int | None = None,
    now: datetime | None = None,
) -> Task:
    """Add a task inside the caller's action; the owner unit is told through the outbox."""
    now = now or utcnow()
    if due_at.tzinfo is None or (remind_at is not None and remind_at.tzinfo is None):
        raise InvalidInput("task times need a time zone", field="due_at")
    if remind_at is None:
        remind_at = now + (due_at - now) * REMIND_SHARE if due_at > now else None
    elif remind_at > due_at:
        raise InvalidInput("the reminder must come before the deadline", field="remind_at")
    task = Task(
        kind=kind,
        title=title,
        subject_type=subject_type,
        subject_id=subject_id,
        owner_unit_id=owner_unit.id,
        assignee_id=assignee_id,
        due_at=due_at,
        remind_at=remind_at,
        created_at=now,
    )
    session.add(task)
    session.flush()
    enqueue(
        session,
        kind="task.created",
        unit_id=owner_unit.id,
        user_id=assignee_id,
        payload={"task": task.public_id, "title": title, "due_at": due_at.isoformat()},
    )
    return task


def close_tasks(
    session: Session,
    *,
    subject_type: str,
    subject_id: str,
    kind: str | None = None,
    status: str = "done",
    note: str | None = None,
    by_user_id: int | None = None,
    now: datetime | None = None,
) -> list[Task]:
    """Close the open tasks of a subject (of one kind, or all), inside the caller's action."""
    if status not in ("done", "cancelled"):
        raise ValueError(f"a task closes as done or cancelled, not {status!r}")
    query = select(Task).where(
        Task.subject_type == subject_type, Task.subject_id == subject_id, Task.status == "open"
    )
    if kind is not None:
        query = query.where(Task.kind == kind)
    closed = list(session.execute(query).scalars())
    for task in closed:
        task.status = status
        task.closed_at = now or utcnow()
        task.closed_by_id = by_user_id
        task.note = note
    return closed


def tasks_for_subject(session: Session, subject_type: str, subject_id: str) -> list[Task]:
    """Every task of a subject, oldest first."""
    return list(
        session.execute(
            select(Task)
            .where(Task.subject_type == subject_type, Task.subject_id == subject_id)
            .order_by(Task.created_at, Task.id)
        ).scalars()
    )


def _visible(actor: Actor):  # type: ignore[no-untyped-def]
    """Tasks of units in the actor's jurisdiction and department line, or escalated to it."""
    owner = select(Unit.id).where(
        covers_clause(actor, Unit.division_code), Unit.department == actor.department
    )
    return or_(Task.owner_unit_id.in_(owner), Task.escalated_to_id == actor.unit_id)


def list_tasks(
    session: Session,
    *,
    actor: Actor,
    status: str = "open",
    overdue_at: datetime | None = None,
    limit: int = 200,
) -> list[Task]:
    """The tasks the actor's unit answers for, soonest deadline first (overdue only if asked)."""
    actor.require("home.view")
    query = select(Task).where(_visible(actor))
    if status != "all":
        query = query.where(Task.status == status)
    if overdue_at is not None:
        query = query.where(Task.due_at < overdue_at)
    return list(session.execute(query.order_by(Task.due_at, Task.id).limit(limit)).scalars())


def get_task_for(session: Session, *, actor: Actor, public_id: str) -> Task:
    """A task the actor may see, else NotFound."""
    task = session.execute(select(Task).where(Task.public_id == public_id)).scalar_one_or_none()
    if task is None or not _sees(actor, task):
        raise NotFound("task not found")
    return task


def _sees(actor: Actor, task: Task) -> bool:
    owner = task.owner_unit
    in_line = covers(actor, owner.division_code) and owner.department == actor.department
    return in_line or (task.escalated_to_id is not None and task.escalated_to_id == actor.unit_id)


def complete_task(
    session: Session, *, actor: Actor, public_id: str, note: str | None = None
) -> Task:
    """Mark a task done by hand (the work was done outside the platform)."""
    actor.require("home.view")
    with action(session, actor, "task.complete", object_type="task", object_id=public_id) as act:
        task = get_task_for(session, actor=actor, public_id=public_id)
        if task.status != "open":
            raise Conflict(f"task is already {task.status}")
        task.status = "done"
        task.closed_at = utcnow()
        task.closed_by_id = actor.user_id
        task.note = (note or "").strip() or None
        act.detail["kind"] = task.kind
    return task


def sweep(db: Database, now: datetime) -> int:
    """Send due reminders and escalate overdue tasks; returns how many tasks it touched.

    Each task is handled in its own action, so one bad row cannot hold back the others, and a
    reminder or escalation is sent once (the row records it)."""
    with db.session() as session:
        due = list(
            session.execute(
                select(Task.id)
                .where(
                    Task.status == "open",
                    or_(
                        and_(Task.reminded_at.is_(None), Task.remind_at <= now),
                        and_(Task.escalated_at.is_(None), Task.due_at < now),
                    ),
                )
                .order_by(Task.due_at)
            ).scalars()
        )
        session.rollback()
        for task_id in due:
            _sweep_one(session, task_id, now)
    return len(due)


def _sweep_one(session: Session, task_id: int, now: datetime) -> None:
    with action(session, system_actor("worker:tasks"), "task.sweep", object_type="task") as act:
        task = session.get(Task, task_id)
        if task is None or task.status != "open":
            return
        act.object_id = task.public_id
        payload = {"task": task.public_id, "title": task.title, "due_at": task.due_at.isoformat()}
        if task.reminded_at is None and task.remind_at is not None and task.remind_at <= now:
            task.reminded_at = now
            enqueue(session, kind="task.reminder", unit_id=task.owner_unit_id, payload=payload)
            act.detail["reminded"] = True
        if task.escalated_at is None and task.due_at < now:
            task.escalated_at = now
            above = unit_above(session, task.owner_unit)
            task.escalated_to_id = above.id if above is not None else None
            enqueue(session, kind="task.overdue", unit_id=task.owner_unit_id, payload=payload)
            if above is not None:
                enqueue(session, kind="task.escalated", unit_id=above.id, payload=payload)
            act.detail["escalated_to"] = above.code if above is not None else None
            act.priority = "high"


def is_overdue(task: Task, now: datetime) -> bool:
    """Open and past its deadline."""
    return task.status == "open" and task.due_at < now
