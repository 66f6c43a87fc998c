"""The task list (督办事项): what the user's unit must do, soonest deadline first."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.tasks import service
from fanguai.tasks.models import Task
from fanguai.web.deps import get_session, require
from fanguai.web.templating import render

router = APIRouter()


def task_read(task: Task, now) -> dict:  # type: ignore[no-untyped-def]
    """A task as the list and the API show it."""
    return {
        "id": task.public_id,
        "kind": task.kind,
        "title": task.title,
        "subject_type": task.subject_type,
        "subject_id": task.subject_id,
        "owner_unit": task.owner_unit.name,
        "due_at": task.due_at.isoformat(),
        "status": task.status,
        "overdue": service.is_overdue(task, now),
        "escalated": task.escalated_at is not None,
    }


@router.get("/tasks")
def tasks_page(
    request: Request,
    status: str = Query("open", pattern="^(open|done|cancelled|all)$"),
    overdue: bool = Query(False),
    actor: Actor = require("home.view"),
    session: Session = Depends(get_session),
) -> Response:
    """The unit's tasks with overdue markers."""
    now = utcnow()
    tasks = service.list_tasks(
        session, actor=actor, status=status, overdue_at=now if overdue else None
    )
    return render(
        request,
        "tasks/list.html",
        {"tasks": tasks, "now": now, "status": status, "overdue": overdue},
    )


@router.get("/api/tasks")
def tasks_api(
    status: str = Query("open", pattern="^(open|done|cancelled|all)$"),
    overdue: bool = Query(False),
    actor: Actor = require("home.view"),
    session: Session = Depends(get_session),
) -> list[dict]:
    """The unit's tasks as JSON."""
    now = utcnow()
    tasks = service.list_tasks(
        session, actor=actor, status=status, overdue_at=now if overdue else None
    )
    return [task_read(t, now) for t in tasks]


@router.post("/tasks/{task_id}/complete")
def complete_task_form(
    task_id: str,
    note: str = Form("", max_length=500),
    actor: Actor = require("home.view"),
    session: Session = Depends(get_session),
) -> Response:
    """Mark a task done from the list."""
    service.complete_task(session, actor=actor, public_id=task_id, note=note)
    return RedirectResponse("/tasks", status_code=303)
