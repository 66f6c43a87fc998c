"""Rules that create tasks, on a controlled clock: each fires once, at the right moment."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from fanguai import worker
from fanguai.outbox import OutboxMessage
from fanguai.tasks import service as tasks
from fanguai.tasks.models import Task
from fanguai.victims import actions
from fanguai.victims.rules import run_rules
from fanguai.victims.schemas import FileCreate, HukouStep, IdentityUpdate, ServiceCreate
from fanguai.victims.service import BEIJING, add_months, beijing_midnight
from tests.victims.conftest import T0

RECEIVED = datetime(2026, 3, 2, 10, 0, tzinfo=BEIJING)  # = T0


def _at(day: date, hour: int = 10) -> datetime:
    return beijing_midnight(day) + timedelta(hours=hour)


def _open(session, field_crypto, actor, **over: Any):  # type: ignore[no-untyped-def]
    data = {"received_at": RECEIVED, "sex": "female", "age": 14}
    data.update(over)
    return actions.create_file(
        session, field_crypto, actor=actor, data=FileCreate.model_validate(data), now=T0
    )


def _service(session, field_crypto, actor, file, now: datetime, **body: Any):  # type: ignore[no-untyped-def]
    return actions.record_service(
        session,
        field_crypto,
        actor=actor,
        public_id=file.public_id,
        data=ServiceCreate.model_validate(body),
        sector=actor.department not in ("civil_affairs", "police"),
        now=now,
    )


def _run(db, crypto, now: datetime, file) -> set[str]:  # type: ignore[no-untyped-def]
    """Run the rules (over every file, demo files too) and say which tasks ``file`` gained."""
    with db.session() as session:
        before = set(_tasks(session, file))
        # End this read before the rules write: sessions here nest as savepoints on one
        # connection, and closing an open one would roll the rules' writes back.
        session.commit()
        run_rules(db, crypto, now)
        gained = set(_tasks(session, file)) - before
        session.commit()
    return gained


def _tasks(session, file) -> dict[str, Task]:  # type: ignore[no-untyped-def]
    """The file's tasks by kind. The read ends its savepoint at once: another session's write
    made while it stayed open would be rolled back with it."""
    session.expire_all()
    found = {
        t.kind: t
        for t in session.execute(
            select(Task).where(
                Task.subject_type == "victim_file", Task.subject_id == file.public_id
            )
        ).scalars()
    }
    for t in found.values():
        _ = t.owner_unit
    session.commit()
    return found


def test_the_household_registration_rule_fires_on_the_day_three_months_are_complete(
    db, session, field_crypto, as_user
) -> None:  # type: ignore[no-untyped-def]
    civil = as_user("gusu.civil")
    file = _open(session, field_crypto, civil, age=None, age_min=17, age_max=19)
    _service(
        session,
        field_crypto,
        civil,
        file,
        T0,
        kind="shelter",
        started_on=RECEIVED.date(),
        details={"provider": "救助站"},
    )
    due_day = add_months(RECEIVED.date(), 3)  # 2026-06-02
    assert _run(db, field_crypto, _at(due_day - timedelta(days=1), 23), file) == set()
    assert "victims.hukou_application" not in _tasks(session, file)
    assert _run(db, field_crypto, _at(due_day, 0), file) == {
        "victims.hukou_application",
        "victims.hukou_registration",
    }
    found = _tasks(session, file)
    assert found["victims.hukou_application"].owner_unit.code == "320508-MZ"
    assert found["victims.hukou_registration"].owner_unit.code == "320508-GA"
    assert "3个月" in found["victims.hukou_application"].title
    # A rule never creates the same task twice, even after its task is done.
    with_done = found["victims.hukou_application"]
    tasks.complete_task(session, actor=civil, public_id=with_done.public_id)
    assert _run(db, field_crypto, _at(due_day + timedelta(days=40)), file) == set()
    assert len(_tasks(session, file)) == 2


def test_an_identified_victim_or_one_out_of_the_shelter_raises_no_registration_task(
    db, session, field_crypto, as_user
) -> None:  # type: ignore[no-untyped-def]
    civil = as_user("gusu.civil")
    known = _open(session, field_crypto, civil, age=30, identified=True)
    gone = _open(session, field_crypto, civil, age=30)
    for f, ended in ((known, None), (gone, RECEIVED.date() + timedelta(days=20))):
        _service(
            session,
            field_crypto,
            civil,
            f,
            T0 + timedelta(days=30),
            kind="shelter",
            started_on=RECEIVED.date(),
            ended_on=ended,
            details={"provider": "站"},
        )
    run_rules(db, field_crypto, T0 + timedelta(days=200))
    assert _tasks(session, known) == {} and _tasks(session, gone) == {}


def test_identity_established_cancels_the_registration_tasks(
    db, session, field_crypto, as_user
) -> None:  # type: ignore[no-untyped-def]
    civil = as_user("gusu.civil")
    file = _open(session, field_crypto, civil, age=30)
    _service(
        session,
        field_crypto,
        civil,
        file,
        T0,
        kind="shelter",
        started_on=RECEIVED.date(),
        details={"provider": "站"},
    )
    later = T0 + timedelta(days=100)
    run_rules(db, field_crypto, later)
    actions.record_identity(
        session,
        actor=civil,
        public_id=file.public_id,
        data=IdentityUpdate(identified_on=later.date()),
        now=later,
    )
    assert {t.status for t in _tasks(session, file).values()} == {"cancelled"}


def test_applying_for_registration_closes_the_civil_affairs_task(
    db, session, field_crypto, as_user
) -> None:  # type: ignore[no-untyped-def]
    civil = as_user("gusu.civil")
    file = _open(session, field_crypto, civil, age=30)
    _service(
        session,
        field_crypto,
        civil,
        file,
        T0,
        kind="shelter",
        started_on=RECEIVED.date(),
        details={"provider": "站"},
    )
    later = T0 + timedelta(days=95)
    run_rules(db, field_crypto, later)
    actions.record_hukou(
        session,
        actor=civil,
        public_id=file.public_id,
        data=HukouStep(step="applied", on=later.date()),
        now=later,
    )
    found = _tasks(session, file)
    assert found["victims.hukou_application"].status == "done"
    assert found["victims.hukou_registration"].status == "open"


def test_a_school_age_child_without_a_placement_raises_a_task_for_education_closed_by_the_ledger(
    db, session, field_crypto, as_user
) -> None:  # type: ignore[no-untyped-def]
    file = _open(session, field_crypto, as_user("gusu.civil"), age=9)
    adult = _open(session, field_crypto, as_user("gusu.civil"), age=19)
    assert _run(db, field_crypto, T0 + timedelta(hours=1), file) == {"victims.school_placement"}
    task = _tasks(session, file)["victims.school_placement"]
    assert task.owner_unit.code == "320508-JY" and _tasks(session, adult) == {}
    _service(
        session,
        field_crypto,
        as_user("gusu.edu"),
        file,
        T0 + timedelta(days=3),
        kind="schooling",
        started_on=(T0 + timedelta(days=3)).date(),
        details={"provider": "实验小学", "grade": "三年级"},
    )
    assert _tasks(session, file)["victims.school_placement"].status == "done"


@pytest.mark.parametrize(("days_to_birthday", "expected"), [(1, 0), (0, 1)])
def test_employment_services_begin_on_the_sixteenth_birthday_for_those_who_want_work(
    db, session, field_crypto, as_user, days_to_birthday, expected
) -> None:  # type: ignore[no-untyped-def]
    run_at = T0 + timedelta(days=10)
    birthday = run_at.astimezone(BEIJING).date() + timedelta(days=days_to_birthday)
    born = birthday.replace(year=birthday.year - 16)
    file = _open(
        session, field_crypto, as_user("gusu.civil"), age=None, birth_date=born, wants_work=True
    )
    run_rules(db, field_crypto, run_at)
    found = _tasks(session, file)
    assert ("victims.employment" in found) == bool(expected)
    if expected:
        assert found["victims.employment"].owner_unit.code == "320508-RS"


def test_follow_ups_come_at_one_three_six_and_twelve_months_after_return_with_reminders(
    db, session, field_crypto, as_user
) -> None:  # type: ignore[no-untyped-def]
    civil = as_user("gusu.civil")
    file = _open(session, field_crypto, civil, age=30)
    home_day = RECEIVED.date() + timedelta(days=10)
    _service(
        session,
        field_crypto,
        civil,
        file,
        _at(home_day),
        kind="return_home",
        started_on=home_day,
        details={"destination": "family"},
    )
    seen: list[str] = []
    for months in (1, 3, 6, 12):
        visit = add_months(home_day, months)
        assert _run(db, field_crypto, _at(visit - timedelta(days=8)), file) == set()
        fired = _run(db, field_crypto, _at(visit - timedelta(days=7), 0), file)
        assert fired == {f"victims.followup_{months}"}
        task = _tasks(session, file)[f"victims.followup_{months}"]
        assert task.owner_unit.code == "320508-MZ"
        assert task.remind_at == beijing_midnight(visit)
        # The reminder fires on the day of the visit, through the task sweep.
        worker.run_once(db, beijing_midnight(visit) + timedelta(minutes=1), only={"tasks.sweep"})
        reminders = session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "task.reminder")
        ).scalars()
        assert task.public_id in {m.payload.get("task") for m in reminders}
        seen.append(task.kind)
    assert seen == [
        "victims.followup_1",
        "victims.followup_3",
        "victims.followup_6",
        "victims.followup_12",
    ]


def test_recording_the_visit_closes_its_task(db, session, field_crypto, as_user) -> None:  # type: ignore[no-untyped-def]
    civil = as_user("gusu.civil")
    file = _open(session, field_crypto, civil, age=30)
    home_day = RECEIVED.date() + timedelta(days=1)
    _service(
        session,
        field_crypto,
        civil,
        file,
        _at(home_day),
        kind="return_home",
        started_on=home_day,
        details={"destination": "community"},
    )
    visit = add_months(home_day, 1)
    run_rules(db, field_crypto, _at(visit))
    _service(
        session,
        field_crypto,
        civil,
        file,
        _at(visit),
        kind="followup",
        started_on=visit,
        details={"month": 1, "situation": "适应良好"},
    )
    assert _tasks(session, file)["victims.followup_1"].status == "done"


def test_closing_the_file_cancels_its_tasks_and_stops_the_rules(
    db, session, field_crypto, as_user
) -> None:  # type: ignore[no-untyped-def]
    from fanguai.victims.schemas import CloseFile

    civil = as_user("gusu.civil")
    file = _open(session, field_crypto, civil, age=9)
    run_rules(db, field_crypto, T0 + timedelta(hours=1))
    actions.close_file(
        session,
        actor=civil,
        public_id=file.public_id,
        data=CloseFile(reason="transferred"),
        now=T0 + timedelta(hours=2),
    )
    assert {t.status for t in _tasks(session, file).values()} == {"cancelled"}
    assert _run(db, field_crypto, T0 + timedelta(days=400), file) == set()
    assert {t.status for t in _tasks(session, file).values()} == {"cancelled"}


def test_the_worker_runs_the_rules_as_a_registered_job(db, session, field_crypto, as_user) -> None:  # type: ignore[no-untyped-def]
    file = _open(session, field_crypto, as_user("gusu.civil"), age=8)
    report = worker.run_once(db, T0 + timedelta(hours=1), only={"victims.rules"})
    assert report.failed == {} and report.done["victims.rules"] >= 1
    assert "victims.school_placement" in _tasks(session, file)
