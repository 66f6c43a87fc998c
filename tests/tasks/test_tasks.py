"""Tracked tasks: reminders, escalation to the unit above, scope, the worker's controlled clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from fanguai import worker
from fanguai.core.actions import action
from fanguai.core.actor import cli_actor
from fanguai.errors import InvalidInput
from fanguai.org.models import Unit
from fanguai.org.service import unit_above
from fanguai.outbox import OutboxMessage
from fanguai.tasks import service
from fanguai.tasks.models import Task

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _only_this_tests_tasks(session):  # type: ignore[no-untyped-def]
    """The demo's own open tasks are cancelled (in this test's transaction) so that sweep
    counts speak of the tests' tasks alone."""
    with action(session, cli_actor("test"), "test.clear_tasks"):
        for task in session.execute(select(Task).where(Task.status == "open")).scalars():
            task.status = "cancelled"


def _unit(session, code: str) -> Unit:  # type: ignore[no-untyped-def]
    return session.execute(select(Unit).where(Unit.code == code)).scalar_one()


def _make(session, *, due_hours: float = 24, code: str = "320508-GA") -> str:  # type: ignore[no-untyped-def]
    with action(session, cli_actor("test"), "test.task") as act:
        task = service.create_task(
            session,
            kind="test.deadline",
            title="测试时限",
            subject_type="test",
            subject_id="s-1",
            owner_unit=_unit(session, code),
            due_at=T0 + timedelta(hours=due_hours),
            now=T0,
        )
        act.object_id = task.public_id
    return task.public_id


def _outbox(session, kind: str, task_id: str) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    rows = session.execute(select(OutboxMessage).where(OutboxMessage.kind == kind)).scalars()
    return [m for m in rows if m.payload.get("task") == task_id]


@pytest.mark.parametrize(
    ("code", "above"),
    [("320508-GA", "320500-GA"), ("320500-GA", "320000-GA"), ("320000-GA", None)],
)
def test_the_unit_above_is_the_same_line_one_level_up(session, code, above) -> None:  # type: ignore[no-untyped-def]
    got = unit_above(session, _unit(session, code))
    assert (got.code if got else None) == above


def test_reminder_then_escalation_each_once_on_a_controlled_clock(db, session) -> None:  # type: ignore[no-untyped-def]
    task_id = _make(session, due_hours=24)
    # Before the reminder time (75 % of the window): nothing.
    assert service.sweep(db, T0 + timedelta(hours=17)) == 0
    assert service.sweep(db, T0 + timedelta(hours=19)) == 1
    assert len(_outbox(session, "task.reminder", task_id)) == 1
    assert service.sweep(db, T0 + timedelta(hours=20)) == 0  # reminded once
    report = worker.run_once(db, T0 + timedelta(hours=25), only={"tasks.sweep"})
    assert report.done == {"tasks.sweep": 1} and report.failed == {}
    task = session.execute(select(Task).where(Task.public_id == task_id)).scalar_one()
    session.refresh(task)
    assert task.escalated_to.code == "320500-GA"
    escalated = _outbox(session, "task.escalated", task_id)
    assert [m.unit_id for m in escalated] == [task.escalated_to_id]
    assert service.sweep(db, T0 + timedelta(hours=30)) == 0  # escalated once


def test_a_closed_task_is_neither_reminded_nor_escalated(db, session) -> None:  # type: ignore[no-untyped-def]
    task_id = _make(session, due_hours=1)
    with action(session, cli_actor("test"), "test.close"):
        closed = service.close_tasks(session, subject_type="test", subject_id="s-1")
    assert [t.public_id for t in closed] == [task_id]
    assert service.sweep(db, T0 + timedelta(hours=5)) == 0


def test_a_reminder_after_the_deadline_is_refused(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput), action(session, cli_actor("test"), "test.task"):
        service.create_task(
            session,
            kind="test.deadline",
            title="错误",
            subject_type="test",
            subject_id="s-2",
            owner_unit=_unit(session, "320508-GA"),
            due_at=T0,
            remind_at=T0 + timedelta(hours=1),
            now=T0,
        )


def test_the_list_shows_the_units_tasks_and_the_escalated_ones_to_the_unit_above(
    db, session, login
) -> None:  # type: ignore[no-untyped-def]
    task_id = _make(session, due_hours=1)
    assert task_id in {t["id"] for t in login("gusu.police").get("/api/tasks").json()}
    assert task_id not in {t["id"] for t in login("wuzhong.police").get("/api/tasks").json()}
    assert task_id not in {t["id"] for t in login("gusu.civil").get("/api/tasks").json()}
    service.sweep(db, T0 + timedelta(hours=2))
    listed = {t["id"]: t for t in login("suzhou.police").get("/api/tasks").json()}
    assert listed[task_id]["escalated"] is True and listed[task_id]["overdue"] is True


def test_completing_a_task_from_the_page(session, login) -> None:  # type: ignore[no-untyped-def]
    task_id = _make(session, due_hours=48)
    client = login("gusu.police")
    page = client.get("/tasks")
    assert "测试时限" in page.text
    r = client.post(f"/tasks/{task_id}/complete", data={"note": "已办"}, follow_redirects=False)
    assert r.status_code == 303
    assert task_id not in {t["id"] for t in client.get("/api/tasks").json()}
    outsider = login("wuzhong.police")
    assert outsider.post(f"/tasks/{task_id}/complete", data={}).status_code == 404


def test_the_worker_command_refuses_a_clock_without_a_zone() -> None:
    from typer.testing import CliRunner

    from fanguai.cli.main import app

    result = CliRunner().invoke(app, ["worker", "run", "--once", "--now", "2026-12-01T10:00:00"])
    assert result.exit_code == 1 and "time zone" in result.stderr
