"""People records: masking, blind-index search, minors' access grants (B9), break-the-glass
(B7), unmasking and the access log (C2, I4), erasure by crypto-shredding."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from fanguai.audit.models import AuditEvent
from fanguai.db import utcnow
from fanguai.outbox import OutboxMessage
from fanguai.people.demo import demo_id_card
from fanguai.people.models import Person

ADULT_ID = demo_id_card("320508", date(1985, 6, 1), 7, True)


def _create(client, **over):  # type: ignore[no-untyped-def]
    body = {
        "kind": "parent",
        "name": "诸葛明",
        "sex": "male",
        "id_card": ADULT_ID,
        "birth_date": "1985-06-01",
        "phone": "13912345678",
        "address": "苏州市姑苏区某路1号",
    }
    body.update(over)
    return client.post("/api/people", json=body)


def test_a_person_is_listed_masked_and_found_by_id_number(login) -> None:  # type: ignore[no-untyped-def]
    officer = login("gusu.police")
    created = _create(officer)
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "诸**" and created.json()["id_card"].startswith("320")
    assert ADULT_ID not in created.text and "诸葛明" not in created.text
    found = officer.post("/api/people/search", json={"id_card": ADULT_ID.lower()}).json()
    assert found["total"] == 1 and found["items"][0]["id"] == created.json()["id"]
    assert (
        officer.post(
            "/api/people/search",
            json={"id_card": demo_id_card("320508", date(1985, 6, 2), 7, True)},
        ).json()["total"]
        == 0
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_card", ADULT_ID[:-1] + ("0" if ADULT_ID[-1] != "0" else "1"), "check digit"),
        ("birth_date", "1985-06-02", "birth date differs"),
        ("sex", "female", "sex differs"),
    ],
)
def test_an_id_number_is_checked_and_cross_checked(login, session, field, value, message) -> None:  # type: ignore[no-untyped-def]
    before = session.execute(select(func.count()).select_from(Person)).scalar_one()
    r = _create(login("gusu.police"), **{field: value})
    assert r.status_code == 422 and message in r.json()["message"]
    assert session.execute(select(func.count()).select_from(Person)).scalar_one() == before


def test_a_sibling_county_cannot_find_the_person_even_by_id_number(login) -> None:  # type: ignore[no-untyped-def]
    _create(login("gusu.police"))
    other = login("wuzhong.police")
    assert other.post("/api/people/search", json={"id_card": ADULT_ID}).json()["total"] == 0


def _child(login):  # type: ignore[no-untyped-def]
    officer = login("gusu.police")
    r = _create(
        officer,
        kind="missing_child",
        name="李小花",
        sex="unknown",
        id_card=None,
        birth_date=None,
        age_min=5,
        age_max=7,
        phone=None,
        address=None,
    )
    return officer, r.json()["id"]


def test_a_minors_record_needs_an_approved_grant_from_someone_else(login) -> None:  # type: ignore[no-untyped-def]
    officer, child = _child(login)
    assert officer.get(f"/api/people/{child}").status_code == 403
    grant = officer.post(f"/api/people/{child}/grants", json={"reason": "核对走失儿童信息"}).json()
    assert grant["status"] == "pending"
    assert officer.post(f"/api/grants/{grant['id']}/approve").status_code == 403  # no role
    chief = login("gusu.chief")
    assert grant["id"] in {g["id"] for g in chief.get("/api/grants").json()}
    approved = chief.post(f"/api/grants/{grant['id']}/approve").json()
    assert approved["status"] == "approved" and approved["approver"] == "gusu.chief"
    assert officer.get(f"/api/people/{child}").status_code == 200
    with time_machine.travel(utcnow() + timedelta(hours=8, minutes=1)):
        assert officer.get(f"/api/people/{child}").status_code in (401, 403)


def test_a_supervisor_cannot_approve_their_own_request(login) -> None:  # type: ignore[no-untyped-def]
    _, child = _child(login)
    chief = login("gusu.chief")
    grant = chief.post(f"/api/people/{child}/grants", json={"reason": "本人申请"}).json()
    assert chief.post(f"/api/grants/{grant['id']}/approve").status_code == 403


def test_break_the_glass_opens_two_hours_and_tells_the_supervisor(login, session) -> None:  # type: ignore[no-untyped-def]
    officer, child = _child(login)
    short = officer.post(f"/api/people/{child}/break-glass", json={"reason": "紧急"})
    assert short.status_code == 422
    reason = "嫌疑人正携带儿童前往火车站，需立即核对儿童身份以便拦截"
    r = officer.post(f"/api/people/{child}/break-glass", json={"reason": reason})
    assert r.status_code == 201, r.text
    event = (
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "grant.break_glass")
            .order_by(AuditEvent.seq.desc())
        )
        .scalars()
        .first()
    )
    assert event.priority == "high" and event.outcome == "success"
    assert (
        session.execute(select(OutboxMessage).where(OutboxMessage.kind == "grant.break_glass"))
        .scalars()
        .first()
        is not None
    )
    assert officer.get(f"/api/people/{child}").status_code == 200
    chief = login("gusu.chief")
    waiting = {g["id"]: g for g in chief.get("/api/grants").json()}
    assert r.json()["id"] in waiting
    assert (
        chief.post(f"/api/grants/{r.json()['id']}/review", json={"reason": "情况属实"}).status_code
        == 200
    )
    with time_machine.travel(utcnow() + timedelta(hours=2, minutes=1)):
        assert officer.get(f"/api/people/{child}").status_code in (401, 403)


def test_break_the_glass_needs_a_fresh_second_factor(login) -> None:  # type: ignore[no-untyped-def]
    officer, child = _child(login)
    with time_machine.travel(utcnow() + timedelta(minutes=6)):
        officer.get("/api/me")  # keep the session alive; the factor is now 6 minutes old
        r = officer.post(
            f"/api/people/{child}/break-glass",
            json={"reason": "嫌疑人正携带儿童前往火车站，需立即核对儿童身份"},
        )
    assert r.status_code == 401


def test_unmasking_is_for_supervisors_and_leaves_a_high_priority_record(login, session) -> None:  # type: ignore[no-untyped-def]
    person = _create(login("gusu.police")).json()["id"]
    assert (
        login("gusu.police")
        .post(f"/api/people/{person}/reveal", json={"fields": ["name"], "reason": "联系家属"})
        .status_code
        == 403
    )
    r = login("gusu.chief").post(
        f"/api/people/{person}/reveal", json={"fields": ["name", "id_card"], "reason": "联系家属"}
    )
    assert r.json() == {"name": "诸葛明", "id_card": ADULT_ID}
    event = (
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "people.reveal")
            .order_by(AuditEvent.seq.desc())
        )
        .scalars()
        .first()
    )
    assert event.priority == "high" and event.detail["reason"] == "联系家属"
    assert "诸葛明" not in str(event.detail) and ADULT_ID not in str(event.detail)


def test_every_read_appears_in_the_records_access_log(login) -> None:  # type: ignore[no-untyped-def]
    officer = login("gusu.police")
    person = _create(officer).json()["id"]
    officer.get(f"/api/people/{person}")
    officer.get(f"/api/people/{person}")
    log = login("gusu.chief").get(f"/api/people/{person}/access-log").json()
    reads = [e for e in log if e["action"] == "people.read" and e["actor_name"] == "gusu.police"]
    assert len(reads) == 2
    assert officer.get(f"/api/people/{person}/access-log").status_code == 403
    audit_view = login("auditor").get(f"/api/admin/audit/people/{person}/access-log")
    assert audit_view.status_code == 200 and len(audit_view.json()) >= 3
    assert login("auditor").get(f"/api/people/{person}").status_code == 403


def test_erasing_a_person_shreds_the_key_and_keeps_no_identity(
    login, session, field_crypto
) -> None:  # type: ignore[no-untyped-def]
    officer = login("gusu.police")
    person = _create(officer).json()["id"]
    row = session.execute(select(Person).where(Person.public_id == person)).scalar_one()
    token, subject = row.name, row.subject_id
    assert (
        login("gusu.chief")
        .post(f"/api/people/{person}/erase", json={"reason": "当事人撤回同意"})
        .status_code
        == 204
    )
    from fanguai.crypto.keystore import SubjectShredded

    with pytest.raises(SubjectShredded):
        field_crypto.decrypt(
            token, subject_id=subject, table="person", column="name", row_id=person
        )
    session.refresh(row)
    assert row.name is None and row.id_card_index is None and row.erased_at is not None
    assert officer.post("/api/people/search", json={"id_card": ADULT_ID}).json()["total"] == 0


@pytest.mark.parametrize(
    ("years", "days", "needs_grant"),
    [(18, 0, False), (18, -1, True), (14, 0, True), (30, 0, False)],
)
def test_the_grant_rule_follows_the_18th_birthday_to_the_day(
    login, years, days, needs_grant
) -> None:  # type: ignore[no-untyped-def]
    from fanguai.people.service import today_in_beijing

    today = today_in_beijing()
    try:
        born = today.replace(year=today.year - years)
    except ValueError:  # today is 29 February
        born = today.replace(year=today.year - years, day=28)
    born = born - timedelta(days=days)
    officer = login("gusu.police")
    person = _create(
        officer,
        kind="relative",
        name="边界测试",
        sex="unknown",
        id_card=None,
        birth_date=born.isoformat(),
        phone=None,
        address=None,
    ).json()["id"]
    status = officer.get(f"/api/people/{person}").status_code
    assert status == (403 if needs_grant else 200), (born, status)


def test_an_id_number_with_spaces_is_stored_and_found_in_one_form(login) -> None:  # type: ignore[no-untyped-def]
    officer = login("gusu.police")
    spaced = f"{ADULT_ID[:6]} {ADULT_ID[6:14]} {ADULT_ID[14:]}".lower()
    assert _create(officer, id_card=spaced).status_code == 201
    found = officer.post("/api/people/search", json={"id_card": ADULT_ID}).json()
    assert found["total"] == 1
