"""The file: intake, services, and bad input refused precisely with nothing half-saved."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from fanguai.audit.models import AuditEvent
from fanguai.victims.models import VictimFile, VictimReferral, VictimService
from fanguai.victims.service import today_in_beijing
from tests.victims.conftest import count, intake


def _today() -> date:
    return today_in_beijing()


def _received(days: int = 1) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def test_a_received_victim_gets_a_file_with_the_name_masked_and_the_read_audited(
    user, session
) -> None:  # type: ignore[no-untyped-def]
    civil = user("gusu.civil")
    r = civil.post("/api/victims", json=intake(name="欧阳小雨", birth_date="2011-05-03", age=None))
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["name"] == "欧***" and "欧阳小雨" not in r.text
    assert created["file_no"].startswith("320508-") and created["status"] == "open"
    assert created["minor"] == "under18" and created["caseworker"] == "刘芳"
    detail = civil.get(f"/api/victims/{created['id']}").json()
    assert detail["owner_unit"] == "苏州市姑苏区民政局" and "欧阳小雨" not in str(detail)
    reads = session.execute(
        select(AuditEvent).where(
            AuditEvent.action == "victims.read", AuditEvent.object_id == created["id"]
        )
    ).scalars()
    assert [e.actor_name for e in reads] == ["gusu.civil"]
    stored = session.execute(
        select(VictimFile).where(VictimFile.public_id == created["id"])
    ).scalar_one()
    assert stored.name.startswith("fg1:") and stored.birth_date.startswith("fg1:")


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"birth_date": "2011-05-03", "age": 9}, "age"),  # 14 or 15 on the day, not 9
        ({"age": None, "age_min": 12, "age_max": 10}, "age_min"),
        ({"age": 20, "age_min": 12, "age_max": 16}, "age"),
        ({"birth_date": "2099-01-01", "age": None}, "birth_date"),
        ({"received_at": "2099-01-01T10:00:00+08:00"}, "received_at"),
        ({"person_id": "00000000-0000-4000-8000-000000000000"}, "person_id"),
    ],
)
def test_bad_intake_is_refused_naming_the_field_and_nothing_is_saved(
    user, session, over, field
) -> None:  # type: ignore[no-untyped-def]
    before = count(session, VictimFile)
    r = user("gusu.civil").post("/api/victims", json=intake(**over))
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    assert count(session, VictimFile) == before


def test_an_age_agreeing_with_the_birth_date_on_the_day_of_reception_is_accepted(user) -> None:  # type: ignore[no-untyped-def]
    received = datetime(2025, 5, 3, 9, 0, tzinfo=UTC)  # 17:00 in Beijing, the 14th birthday
    r = user("gusu.civil").post(
        "/api/victims",
        json=intake(received_at=received.isoformat(), birth_date="2011-05-03", age=14),
    )
    assert r.status_code == 201, r.text
    r = user("gusu.civil").post(
        "/api/victims",
        json=intake(received_at=received.isoformat(), birth_date="2011-05-04", age=14),
    )
    assert r.status_code == 422 and r.json()["field"] == "age"


def test_only_the_lines_that_keep_the_file_open_one(user) -> None:  # type: ignore[no-untyped-def]
    assert user("gusu.police").post("/api/victims", json=intake()).status_code == 403
    assert user("gusu.edu").post("/api/victims", json=intake()).status_code == 403


def test_services_are_recorded_with_dates_provider_and_outcome(new_file, session) -> None:  # type: ignore[no-untyped-def]
    civil, file_id = new_file(received_at=_received(10))
    stay = civil.post(
        f"/api/victims/{file_id}/services",
        json={
            "kind": "shelter",
            "started_on": str(_today() - timedelta(days=10)),
            "details": {"provider": "姑苏区未成年人救助保护中心"},
        },
    )
    assert stay.status_code == 201, stay.text
    hospital = civil.get("/api/victims/hospitals", params={"county": "320508"}).json()["items"][0]
    medical = civil.post(
        f"/api/victims/{file_id}/services",
        json={
            "kind": "medical",
            "started_on": str(_today() - timedelta(days=9)),
            "ended_on": str(_today() - timedelta(days=7)),
            "details": {
                "hospital": hospital["id"],
                "diagnosis": "轻度营养不良",
                "total_cost": "1000.50",
                "insurance_paid": "600.25",
                "outcome": "好转出院",
            },
        },
    )
    assert medical.status_code == 201, medical.text
    shown = medical.json()
    assert shown["hospital"] == hospital["name"]
    assert shown["details"]["government_paid"] == "400.25"  # after insurance, borne by government
    out = civil.post(
        f"/api/victims/{file_id}/services/{stay.json()['id']}/end",
        json={"ended_on": str(_today()), "outcome": "转入寄养家庭"},
    )
    assert out.status_code == 200 and out.json()["details"]["outcome"] == "转入寄养家庭"
    timeline = [e["event"] for e in civil.get(f"/api/victims/{file_id}").json()["timeline"]]
    assert timeline[0] == "received" and "service.medical.end" in timeline
    assert "service.shelter.end" in timeline


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {
                "kind": "shelter",
                "started_on": "T-2",
                "ended_on": "T-3",
                "details": {"provider": "站"},
            },
            "ended_on",
        ),
        ({"kind": "shelter", "started_on": "T+1", "details": {"provider": "站"}}, "started_on"),
        ({"kind": "shelter", "started_on": "T-30", "details": {"provider": "站"}}, "started_on"),
        ({"kind": "shelter", "started_on": "T-2", "details": {}}, "details.provider"),
        (
            {
                "kind": "medical",
                "started_on": "T-2",
                "details": {"hospital": "00000000-0000-4000-8000-000000000000"},
            },
            "details.hospital",
        ),
        (
            {
                "kind": "schooling",
                "started_on": "T-2",
                "details": {"provider": "实验小学", "grade": "初二", "extra": 1},
            },
            "details.extra",
        ),
        ({"kind": "followup", "started_on": "T-2", "details": {"month": 2}}, None),
    ],
)
def test_a_bad_service_is_refused_naming_the_field_and_nothing_is_saved(
    new_file, session, body, field
) -> None:  # type: ignore[no-untyped-def]
    civil, file_id = new_file(received_at=_received(10))

    def day(spec: str) -> str:
        return str(_today() + timedelta(days=int(spec[1:])))

    body = {k: day(v) if k.endswith("_on") else v for k, v in body.items()}
    before = count(session, VictimService)
    r = civil.post(f"/api/victims/{file_id}/services", json=body)
    assert r.status_code in (409, 422), r.text
    if field is not None:
        assert r.status_code == 422 and r.json()["field"] == field
    assert count(session, VictimService) == before


def test_the_insurance_share_cannot_exceed_the_total(new_file, user) -> None:  # type: ignore[no-untyped-def]
    civil, file_id = new_file()
    hospital = civil.get("/api/victims/hospitals").json()["items"][0]["id"]
    r = civil.post(
        f"/api/victims/{file_id}/services",
        json={
            "kind": "medical",
            "started_on": str(_today()),
            "details": {"hospital": hospital, "total_cost": "100", "insurance_paid": "100.01"},
        },
    )
    assert r.status_code == 422 and r.json()["field"] == "details.insurance_paid"


def test_a_second_open_shelter_stay_is_a_conflict(new_file) -> None:  # type: ignore[no-untyped-def]
    civil, file_id = new_file(received_at=_received(5))
    body = {"kind": "shelter", "started_on": str(_today()), "details": {"provider": "救助站"}}
    assert civil.post(f"/api/victims/{file_id}/services", json=body).status_code == 201
    r = civil.post(f"/api/victims/{file_id}/services", json=body)
    assert r.status_code == 409 and "shelter" in r.json()["message"]


def test_a_closed_file_takes_no_more_services(new_file, session) -> None:  # type: ignore[no-untyped-def]
    civil, file_id = new_file()
    assert (
        civil.post(f"/api/victims/{file_id}/close", json={"reason": "completed"}).json()["status"]
        == "closed"
    )
    before = count(session, VictimService)
    r = civil.post(
        f"/api/victims/{file_id}/services",
        json={"kind": "counselling", "started_on": str(_today()), "details": {"provider": "x"}},
    )
    assert r.status_code == 409 and "closed" in r.json()["message"]
    assert count(session, VictimService) == before
    assert (
        civil.post(f"/api/victims/{file_id}/close", json={"reason": "completed"}).status_code == 409
    )


def test_the_return_home_ends_the_shelter_stay_and_a_second_return_is_refused(new_file) -> None:  # type: ignore[no-untyped-def]
    civil, file_id = new_file(received_at=_received(20))
    civil.post(
        f"/api/victims/{file_id}/services",
        json={
            "kind": "shelter",
            "started_on": str(_today() - timedelta(days=20)),
            "details": {"provider": "救助站"},
        },
    )
    home = {
        "kind": "return_home",
        "started_on": str(_today()),
        "details": {"destination": "family"},
    }
    assert civil.post(f"/api/victims/{file_id}/services", json=home).status_code == 201
    detail = civil.get(f"/api/victims/{file_id}").json()
    assert detail["status"] == "returned"
    stay = next(s for s in detail["services"] if s["kind"] == "shelter")
    assert stay["ended_on"] == str(_today())
    assert civil.post(f"/api/victims/{file_id}/services", json=home).status_code == 409
    visit = {"kind": "followup", "started_on": str(_today()), "details": {"month": 1}}
    assert civil.post(f"/api/victims/{file_id}/services", json=visit).status_code == 201
    assert civil.post(f"/api/victims/{file_id}/services", json=visit).status_code == 409


def test_a_follow_up_before_any_return_is_a_conflict(new_file) -> None:  # type: ignore[no-untyped-def]
    civil, file_id = new_file()
    r = civil.post(
        f"/api/victims/{file_id}/services",
        json={"kind": "followup", "started_on": str(_today()), "details": {"month": 1}},
    )
    assert r.status_code == 409


def test_the_profile_follows_the_case_data_standard_and_refuses_a_timeline_out_of_order(
    new_file, session
) -> None:  # type: ignore[no-untyped-def]
    civil, file_id = new_file(received_at=_received(3))
    t = _today()
    good = {
        "exploitation_types": ["labour", "begging"],
        "means_of_control": ["threats"],
        "recruiter_relation": "acquaintance",
        "recruitment_method": "false_job_offer",
        "timeline": [
            {"stage": "recruitment", "start": str(t - timedelta(days=90)), "place": "安徽"},
            {
                "stage": "transit",
                "start": str(t - timedelta(days=80)),
                "end": str(t - timedelta(days=79)),
            },
            {
                "stage": "exploitation",
                "start": str(t - timedelta(days=79)),
                "end": str(t - timedelta(days=3)),
            },
        ],
        "narrative": "测试经过",
    }
    assert civil.put(f"/api/victims/{file_id}/profile", json=good).status_code == 200
    profile = civil.get(f"/api/victims/{file_id}").json()["profile"]
    assert profile["exploitation_types"] == ["begging", "labour"]
    bad = dict(
        good,
        timeline=[
            good["timeline"][0],
            dict(good["timeline"][1], start=str(t - timedelta(days=95))),
        ],
    )
    r = civil.put(f"/api/victims/{file_id}/profile", json=bad)
    assert r.status_code == 422 and r.json()["field"] == "timeline.1.start"
    late = dict(good, timeline=[dict(good["timeline"][2], end=str(t))])
    r = civil.put(f"/api/victims/{file_id}/profile", json=late)
    assert r.status_code == 422 and r.json()["field"] == "timeline.0.end"
    unknown = dict(good, exploitation_types=["smuggling"])
    assert civil.put(f"/api/victims/{file_id}/profile", json=unknown).status_code == 422
    assert civil.get(f"/api/victims/{file_id}").json()["profile"]["narrative"] == "测试经过"


def test_basics_change_only_what_is_sent_and_keep_the_age_consistent(new_file) -> None:  # type: ignore[no-untyped-def]
    civil, file_id = new_file(received_at=_received(2), age=None, age_min=13, age_max=15)
    assert civil.patch(f"/api/victims/{file_id}", json={"wants_work": True}).status_code == 200
    detail = civil.get(f"/api/victims/{file_id}").json()
    # Estimated 13–15 two days ago: any of them may have had a birthday since.
    assert detail["wants_work"] is True and detail["age"] == "13–16" and detail["sex"] == "female"
    r = civil.patch(f"/api/victims/{file_id}", json={"birth_date": "2000-01-01", "age": 14})
    assert r.status_code == 422 and r.json()["field"] == "age"
    assert civil.get(f"/api/victims/{file_id}").json()["age"] == "13–16"


def test_identity_then_household_registration_in_order(new_file) -> None:  # type: ignore[no-untyped-def]
    civil, file_id = new_file(received_at=_received(4))
    today = str(_today())
    r = civil.post(f"/api/victims/{file_id}/hukou", json={"step": "registered", "on": today})
    assert r.status_code == 422 and r.json()["field"] == "step"
    assert (
        civil.post(
            f"/api/victims/{file_id}/hukou", json={"step": "applied", "on": today}
        ).status_code
        == 200
    )
    assert (
        civil.post(
            f"/api/victims/{file_id}/hukou", json={"step": "registered", "on": today}
        ).status_code
        == 200
    )
    assert civil.post(f"/api/victims/{file_id}/identity", json={"identified_on": today}).json()[
        "identified"
    ]
    assert (
        civil.post(f"/api/victims/{file_id}/identity", json={"identified_on": today}).status_code
        == 409
    )


def test_a_caseworker_of_another_unit_cannot_be_assigned(new_file) -> None:  # type: ignore[no-untyped-def]
    civil, file_id = new_file()
    r = civil.post(f"/api/victims/{file_id}/assign", json={"username": "wuzhong.civil"})
    assert r.status_code == 422 and r.json()["field"] == "username"
    assert (
        civil.post(f"/api/victims/{file_id}/assign", json={"username": "gusu.civil"}).status_code
        == 200
    )


def test_the_file_lists_count_exactly_what_is_in_scope(user, new_file, session) -> None:  # type: ignore[no-untyped-def]
    new_file()
    body = user("gusu.civil").get("/api/victims").json()
    expected = (
        session.execute(
            select(VictimFile.public_id)
            .join(VictimFile.owner_unit)
            .where(VictimFile.owner_unit.has(division_code="320508"))
        )
        .scalars()
        .all()
    )
    assert body["total"] == len(expected)
    assert {i["id"] for i in body["items"]} <= set(expected)
    assert all(i["county_code"] == "320508" for i in body["items"])
    mine = user("gusu.civil").get("/api/victims", params={"mine": "true"}).json()
    assert mine["total"] >= 1 and all(i["caseworker"] == "刘芳" for i in mine["items"])


def test_no_referral_row_is_left_by_a_refused_referral(new_file, session) -> None:  # type: ignore[no-untyped-def]
    civil, file_id = new_file()
    before = count(session, VictimReferral)
    r = civil.post(
        f"/api/victims/{file_id}/referrals", json={"to_unit": "320508-JY", "kind": "schooling"}
    )
    assert r.status_code == 422 and r.json()["field"] == "consent_id"
    assert count(session, VictimReferral) == before
