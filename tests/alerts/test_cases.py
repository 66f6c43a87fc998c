"""Cases: opening with a leader and three duties, bad input, scope, closing rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from fanguai.alerts import actions, service
from fanguai.alerts.models import CaseMember, MissingCase
from fanguai.errors import Conflict, Forbidden, InvalidInput, NotFound
from fanguai.people.models import Person
from fanguai.tasks.models import Task
from tests.alerts.conftest import GUSU, T0, as_actor, report


def test_a_reported_case_has_a_leader_a_team_and_three_duties(session) -> None:  # type: ignore[no-untyped-def]
    case = report(session)
    assert case.status == "open"
    assert case.county_code == "320508"
    assert case.case_no.startswith("320508-2026-")
    assert case.leader.username == "gusu.chief"  # the unit's police head leads by default
    members = session.execute(select(CaseMember).where(CaseMember.case_id == case.id)).scalars()
    assert {(m.user.username, m.role) for m in members} == {
        ("gusu.chief", "leader"),
        ("gusu.police", "member"),
    }
    tasks = session.execute(select(Task).where(Task.subject_id == case.public_id)).scalars().all()
    assert sorted(t.kind for t in tasks) == [
        "alerts.duty.family",
        "alerts.duty.investigation",
        "alerts.duty.rescue",
    ]
    assert all(t.status == "open" and t.assignee_id == case.leader_id for t in tasks)


def test_the_child_and_guardian_are_stored_encrypted_in_the_people_module(session) -> None:  # type: ignore[no-untyped-def]
    case = report(session)
    child = session.get(Person, case.person_id)
    guardian = session.get(Person, case.guardian_person_id)
    assert child.kind == "missing_child" and guardian.kind == "parent"
    assert child.name.startswith("fg1:") and guardian.phone.startswith("fg1:")
    assert service.masked_child_name(case, session) == "测**"


def test_case_numbers_increase_per_county(session) -> None:  # type: ignore[no-untyped-def]
    numbers = [report(session).case_no for _ in range(3)]
    seqs = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3


@pytest.mark.parametrize(
    ("point", "field"),
    [
        ((35.68, 139.69), "last_seen_lat"),
        ((40.71, -74.0), "last_seen_lat"),
        ((95.0, 120.0), "last_seen_lat"),
    ],
)
def test_a_last_seen_place_outside_china_is_refused(session, point, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as err:
        report(session, point=point)
    assert err.value.field == field
    assert all(c.last_seen_lat != point[0] for c in session.execute(select(MissingCase)).scalars())


def test_a_place_in_china_outside_jiangsu_belongs_to_the_reporting_unit(session) -> None:  # type: ignore[no-untyped-def]
    case = report(session, point=(31.23, 121.47))  # Shanghai
    assert case.county_code == "320508"


def test_a_last_seen_time_in_the_future_is_refused(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as err:
        report(session, at=T0 + timedelta(hours=1))
    assert err.value.field == "last_seen_at"


def test_a_leader_must_be_a_police_head_covering_the_case(session) -> None:  # type: ignore[no-untyped-def]
    officer = session.execute(
        select(service.User).where(service.User.username == "wuzhong.police")
    ).scalar_one()
    with pytest.raises(InvalidInput) as err:
        report(session, leader_public_id=officer.public_id)
    assert err.value.field == "leader"
    city_head = session.execute(
        select(service.User).where(service.User.username == "suzhou.police")
    ).scalar_one()
    case = report(session, leader_public_id=city_head.public_id)
    assert case.leader.username == "suzhou.police"


def test_cases_are_hidden_from_a_sibling_county_and_other_lines(session) -> None:  # type: ignore[no-untyped-def]
    case = report(session)
    for outsider in ("wuzhong.police", "nanjing.police"):
        with pytest.raises(NotFound):
            service.get_case_for(
                session, actor=as_actor(session, outsider), public_id=case.public_id
            )
    city = as_actor(session, "suzhou.police")
    assert service.get_case_for(session, actor=city, public_id=case.public_id) is not None
    with pytest.raises(Forbidden):
        service.get_case_for(
            session, actor=as_actor(session, "gusu.civil"), public_id=case.public_id
        )


def test_an_unsolved_case_cannot_be_closed_only_reviewed(session) -> None:  # type: ignore[no-untyped-def]
    case = report(session)
    chief = as_actor(session, "gusu.chief")
    with pytest.raises(Conflict):
        actions.close_case(session, actor=chief, case_id=case.public_id, outcome=None, reason=None)
    actions.review_case(session, actor=chief, case_id=case.public_id, note="走访三处监控，未见踪迹")
    session.refresh(case)
    assert case.status == "open" and case.last_reviewed_at is not None
    events = [e.kind for e in service.timeline(session, case)]
    assert events == ["opened", "reviewed"]


def test_closing_needs_the_leaders_sign_off(session) -> None:  # type: ignore[no-untyped-def]
    case = report(session)
    with pytest.raises(Forbidden):  # an officer has no cases.close
        actions.close_case(
            session,
            actor=as_actor(session, "gusu.police"),
            case_id=case.public_id,
            outcome="found_alive",
            reason=None,
        )
    with pytest.raises(InvalidInput):
        actions.close_case(
            session,
            actor=as_actor(session, "gusu.chief"),
            case_id=case.public_id,
            outcome="other",
            reason="",
        )
    # The city's police head is above the leader's unit: may sign off.
    actions.close_case(
        session,
        actor=as_actor(session, "suzhou.police"),
        case_id=case.public_id,
        outcome="found_alive",
        reason="在亲戚家找到",
    )
    session.refresh(case)
    assert case.status == "closed" and case.outcome == "found_alive"
    assert case.signed_off_by_id is not None
    tasks = session.execute(select(Task).where(Task.subject_id == case.public_id)).scalars().all()
    assert {t.status for t in tasks} == {"done"}


def test_close_as_found_refuses_someone_who_may_not_sign(session) -> None:  # type: ignore[no-untyped-def]
    from fanguai.core.actions import action

    case = report(session)
    officer = as_actor(session, "gusu.police")
    with pytest.raises(Forbidden):
        with action(session, officer, "test.identify"):
            service.close_as_found(
                session, actor=officer, case_public_id=case.public_id, note="DNA比中"
            )
    chief = as_actor(session, "gusu.chief")
    with action(session, chief, "test.identify"):
        service.close_as_found(
            session, actor=chief, case_public_id=case.public_id, note="DNA比中", now=T0
        )
    session.refresh(case)
    assert case.status == "closed" and case.outcome_reason == "DNA比中"


def test_open_case_from_lead_runs_inside_the_callers_action(session) -> None:  # type: ignore[no-untyped-def]
    from fanguai.core.actions import action

    police = as_actor(session, "gusu.police")
    with action(session, police, "leads.open_case"):
        case = service.open_case_from_lead(
            session,
            actor=police,
            lead_public_id="00000000-0000-0000-0000-000000000001",
            child={"name": "线索童", "sex": "male", "age": 9, "description": "蓝色书包"},
            last_seen_place="苏州站北广场",
            last_seen_lat=None,
            last_seen_lng=None,
            last_seen_at=T0 - timedelta(hours=1),
            category="runaway",
        )
    assert case.lead_public_id.endswith("0001") and case.category == "runaway"
    assert [c.public_id for c in service.list_open_cases(session, actor=police)].count(
        case.public_id
    ) == 1


def test_unknown_child_fields_are_refused(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as err:
        actions.report_case(
            session,
            actor=as_actor(session, "gusu.police"),
            child={"name": "x", "eye_colour": "brown"},
            guardian=None,
            last_seen_place="x",
            last_seen_lat=GUSU[0],
            last_seen_lng=GUSU[1],
            last_seen_at=T0,
            category="lost",
            now=T0,
        )
    assert err.value.field == "child"


def test_an_unknown_category_is_refused(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as err:
        report(session, category="kidnap")
    assert err.value.field == "category"
