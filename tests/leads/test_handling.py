"""Routing, scope, acknowledge / transfer / outcome with version checks, escalation on a
controlled clock, mandatory reports, one-step missing-child cases, near-duplicates, summary."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from fanguai import worker
from fanguai.core.actions import ACTION_KEY
from fanguai.db import utcnow
from fanguai.leads import actions, stats
from fanguai.leads.models import Lead
from fanguai.tasks.models import Task
from tests.leads.conftest import key, lead_body, submit


def _new(client, **overrides) -> dict:  # type: ignore[no-untyped-def]
    r = submit(client, lead_body(**overrides))
    assert r.status_code == 201, r.text
    return r.json()


def _find(officer, code: str, status: str = "all") -> dict | None:  # type: ignore[no-untyped-def]
    items = officer.get("/api/leads", params={"status": status, "code": code}).json()["items"]
    return items[0] if items else None


@pytest.mark.parametrize(
    ("lead_type", "unit"),
    [
        ("missing_now", "320508-GA"),
        ("trafficking", "320508-GA"),
        ("forced_labour", "320508-GA"),
        ("wandering_minor", "320508-MZ"),
        ("school_dropout", "320508-JY"),
        ("child_labour", "320508-RS"),
    ],
)
def test_a_lead_goes_to_the_line_that_must_act_in_its_county(
    client, session, lead_type, unit
) -> None:  # type: ignore[no-untyped-def]
    code = _new(client, lead_type=lead_type)["tracking_code"]
    lead = session.execute(select(Lead).where(Lead.tracking_code == code)).scalar_one()
    assert lead.owner_unit.code == unit


def test_only_the_county_police_line_and_those_above_it_see_a_gusu_police_lead(
    client, login
) -> None:  # type: ignore[no-untyped-def]
    code = _new(client)["tracking_code"]
    seen = {}
    for persona in (
        "gusu.police",
        "gusu.chief",
        "suzhou.police",
        "wuzhong.police",
        "nanjing.police",
        "gusu.civil",
        "gusu.edu",
    ):
        seen[persona] = _find(login(persona), code) is not None
    assert seen == {
        "gusu.police": True,
        "gusu.chief": True,
        "suzhou.police": True,
        "wuzhong.police": False,
        "nanjing.police": False,
        "gusu.civil": False,
        "gusu.edu": False,
    }
    lead_id = _find(login("gusu.police"), code)["id"]
    assert login("wuzhong.police").get(f"/api/leads/{lead_id}").status_code == 404
    assert login("jiangsu.office").get(f"/api/leads/{lead_id}").status_code == 403


def test_acknowledge_transfer_and_outcome_with_the_reporter_seeing_each_step(client, login) -> None:  # type: ignore[no-untyped-def]
    answer = _new(client)
    police, civil = login("gusu.police"), login("gusu.civil")
    item = _find(police, answer["tracking_code"])
    assert item["urgency"] == "urgent" and item["status"] == "received"

    def public_status() -> str:
        return client.post(
            "/api/leads/status", json={k: answer[k] for k in ("tracking_code", "passphrase")}
        ).json()["status"]

    acked = police.post(f"/api/leads/{item['id']}/acknowledge", json={"version": item["version"]})
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    assert public_status() == "in_progress"
    stale = police.post(f"/api/leads/{item['id']}/acknowledge", json={"version": item["version"]})
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    moved = police.post(
        f"/api/leads/{item['id']}/transfer",
        json={
            "version": acked.json()["version"],
            "unit_code": "320508-MZ",
            "reason": "流浪儿童，由民政救助",
        },
    )
    assert moved.status_code == 200, moved.text
    assert police.get(f"/api/leads/{item['id']}").status_code == 404  # out of the police line now
    mine = civil.get(f"/api/leads/{item['id']}").json()
    assert mine["owner_unit"] == "苏州市姑苏区民政局" and mine["status"] == "received"
    assert [e["kind"] for e in mine["timeline"]] == ["received", "acknowledged", "transferred"]
    assert mine["timeline"][-1]["note"] == "流浪儿童，由民政救助"
    early = civil.post(
        f"/api/leads/{item['id']}/outcome",
        json={"version": mine["version"], "outcome": "substantiated"},
    )
    assert early.status_code == 409 and early.json()["field"] == "status"
    acked = civil.post(
        f"/api/leads/{item['id']}/acknowledge", json={"version": mine["version"]}
    ).json()
    closed = civil.post(
        f"/api/leads/{item['id']}/outcome",
        json={"version": acked["version"], "outcome": "substantiated", "note": "已送救助站"},
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert public_status() == "closed"
    detail = civil.get(f"/api/leads/{item['id']}").json()
    assert detail["outcome"] == "substantiated" and detail["outcome_note"] == "已送救助站"


def test_outcomes_that_name_something_need_it(client, login) -> None:  # type: ignore[no-untyped-def]
    police = login("gusu.police")
    first = _find(police, _new(client)["tracking_code"])
    other = _find(
        police,
        _new(client, lead_type="online", description="网上有人发布收养信息")["tracking_code"],
    )
    other_nj = _new(client, county_code="320102", lead_type="online")["tracking_code"]
    v = police.post(
        f"/api/leads/{first['id']}/acknowledge", json={"version": first["version"]}
    ).json()["version"]
    for body, field in (
        ({"outcome": "merged"}, "merged_into"),
        ({"outcome": "merged", "merged_into": other_nj}, "merged_into"),  # not in scope
        ({"outcome": "merged", "merged_into": first["tracking_code"]}, "merged_into"),  # itself
        ({"outcome": "case_opened"}, "case_id"),
        ({"outcome": "closed_somehow"}, None),
    ):
        r = police.post(f"/api/leads/{first['id']}/outcome", json={"version": v, **body})
        assert r.status_code == 422, body
        if field:
            assert r.json()["field"] == field
    ok = police.post(
        f"/api/leads/{first['id']}/outcome",
        json={"version": v, "outcome": "merged", "merged_into": other["tracking_code"].lower()},
    )
    assert ok.status_code == 200


def test_an_unacknowledged_urgent_lead_escalates_to_the_city_on_a_controlled_clock(
    client, login, db, session
) -> None:  # type: ignore[no-untyped-def]
    answer = _new(client)
    lead = session.execute(
        select(Lead).where(Lead.tracking_code == answer["tracking_code"])
    ).scalar_one()
    due = lead.ack_due_at
    assert timedelta(hours=1) < due - lead.received_hour <= timedelta(hours=2)

    def task() -> Task:
        session.expire_all()
        return session.execute(select(Task).where(Task.subject_id == lead.public_id)).scalar_one()

    worker.run_once(db, due - timedelta(minutes=1), only={"tasks.sweep"})
    assert task().escalated_at is None
    report = worker.run_once(db, due + timedelta(minutes=1), only={"tasks.sweep"})
    assert report.failed == {}
    assert task().escalated_to.code == "320500-GA"
    city_officer = login("suzhou.police")
    city = _find(city_officer, answer["tracking_code"])
    assert city["escalated"] is True
    detail = city_officer.get(f"/api/leads/{city['id']}").json()
    assert "escalated" in [e["kind"] for e in detail["timeline"]]
    # Acknowledging closes the task: no further escalation.
    login("gusu.police").post(
        f"/api/leads/{city['id']}/acknowledge", json={"version": city["version"]}
    )
    assert task().status == "done"


def test_the_acknowledgement_deadline_is_configurable(client, session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FANGUAI_LEADS_ACK_NORMAL_MINUTES", "180")
    code = _new(client, lead_type="online", description="网上售卖儿童的帖子")["tracking_code"]
    lead = session.execute(select(Lead).where(Lead.tracking_code == code)).scalar_one()
    assert lead.urgency == "normal"
    # Counted from the start of the next hour (a public lead keeps the hour only).
    assert lead.ack_due_at == lead.received_hour + timedelta(hours=1, minutes=180)


def test_a_mandatory_report_from_the_demo_school_reaches_the_police_at_once(login, session) -> None:  # type: ignore[no-untyped-def]
    school = login("gusu.school")
    r = school.post(
        "/api/portal/reports",
        json={
            "category": "suspected_trafficking",
            "description": "学生说放学时有陌生人多次跟随并许诺带他去外地玩。",
        },
        headers=key(),
    )
    assert r.status_code == 201, r.text
    police = login("gusu.police")
    item = _find(police, r.json()["tracking_code"], status="received")
    assert item is not None and item["urgency"] == "urgent" and item["channel"] == "portal"
    detail = police.get(f"/api/leads/{item['id']}").json()
    assert (
        detail["institution"] == "苏州市姑苏区某小学" and detail["reporter_kind"] == "institution"
    )
    mine = school.get("/api/portal/reports").json()
    assert mine[0]["tracking_code"] == r.json()["tracking_code"] and mine[0]["status"] == "received"
    # Its own reports only; no access to the inbox.
    assert school.get("/api/leads").status_code == 403
    assert (
        police.post(
            "/api/portal/reports", json={"category": "other", "description": "测试"}, headers=key()
        ).status_code
        == 403
    )


def test_an_account_not_registered_for_an_institution_cannot_report(login, session) -> None:  # type: ignore[no-untyped-def]
    from fanguai.core.actions import action
    from fanguai.core.actor import cli_actor
    from fanguai.leads.models import InstitutionMember
    from fanguai.org.models import User

    user = session.execute(select(User).where(User.username == "gusu.school")).scalar_one()
    with action(session, cli_actor("test"), "test.unlink"):
        session.delete(session.get(InstitutionMember, user.id))
    r = login("gusu.school").post(
        "/api/portal/reports", json={"category": "other", "description": "测试内容"}, headers=key()
    )
    assert r.status_code == 403


def test_a_missing_child_lead_opens_a_case_in_one_step_inside_the_leads_action(
    client, login, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    police = login("gusu.police")
    item = _find(police, _new(client, last_seen_at="2026-01-01T10:00:00+08:00")["tracking_code"])
    monkeypatch.setattr(actions, "case_service", lambda: None)
    r = police.post(f"/api/leads/{item['id']}/open-case", json={"version": item["version"]})
    assert r.status_code == 503 and r.json()["error"] == "case_module_unavailable"
    calls = []

    def open_case_from_lead(session, **kwargs):  # type: ignore[no-untyped-def]
        calls.append((session.info.get(ACTION_KEY), kwargs))
        return SimpleNamespace(public_id="11111111-2222-4333-8444-555555555555")

    monkeypatch.setattr(
        actions, "case_service", lambda: SimpleNamespace(open_case_from_lead=open_case_from_lead)
    )
    r = police.post(f"/api/leads/{item['id']}/open-case", json={"version": item["version"]})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed"
    ((inside, kwargs),) = calls
    assert inside == "leads.open_case"
    assert kwargs["lead_public_id"] == item["id"]
    assert kwargs["child"] == {
        "name": None,
        "sex": "female",
        "age": 6,
        "description": "红色外套；孩子在观前街走散了，穿红色外套。",
    }
    assert kwargs["category"] == "other"
    assert (
        kwargs["last_seen_place"] == "观前街"
        and kwargs["last_seen_at"].isoformat() == "2026-01-01T02:00:00+00:00"
    )
    detail = police.get(f"/api/leads/{item['id']}").json()
    assert (
        detail["outcome"] == "case_opened"
        and detail["case_id"] == "11111111-2222-4333-8444-555555555555"
    )
    # A caseworker (no cases.manage) cannot; another type cannot either.
    other = _find(police, _new(client, lead_type="trafficking")["tracking_code"])
    assert (
        police.post(
            f"/api/leads/{other['id']}/open-case", json={"version": other["version"]}
        ).status_code
        == 409
    )


def test_a_near_duplicate_is_linked_not_discarded(client, login) -> None:  # type: ignore[no-untyped-def]
    text = (
        "一名穿黑色外套的男子在汽车站抱着哭闹的女孩，女孩喊着要找妈妈，男子匆忙上了去外省的大巴。"
    )
    first = _new(client, lead_type="trafficking", description=text)
    second = _new(client, lead_type="trafficking", description=text.replace("匆忙", "急匆匆地"))
    unrelated = _new(client, lead_type="trafficking", description="网吧里有几个孩子深夜不回家。")
    elsewhere = _new(client, lead_type="trafficking", description=text, county_code="320506")
    police = login("gusu.police")
    assert _find(police, second["tracking_code"])["duplicate_of"] == first["tracking_code"]
    assert _find(police, unrelated["tracking_code"])["duplicate_of"] is None
    assert _find(login("wuzhong.police"), elsewhere["tracking_code"])["duplicate_of"] is None
    assert _find(police, first["tracking_code"]) is not None  # both kept


def test_staff_intake_through_the_api_needs_the_permission_and_a_key(login, session) -> None:  # type: ignore[no-untyped-def]
    body = {
        "lead_type": "school_dropout",
        "description": "孩子开学两周未到校",
        "county_code": "320508",
    }
    police = login("gusu.police")
    assert police.post("/api/leads", json=body).status_code == 400
    r = police.post("/api/leads", json=body, headers=key())
    assert r.status_code == 201
    lead = session.execute(
        select(Lead).where(Lead.tracking_code == r.json()["tracking_code"])
    ).scalar_one()
    assert (
        lead.channel == "api"
        and lead.owner_unit.code == "320508-JY"
        and lead.received_at is not None
    )
    assert login("gusu.edu").post("/api/leads", json=body, headers=key()).status_code == 403


def test_the_monthly_summary_counts_within_the_jurisdiction(client, login, session) -> None:  # type: ignore[no-untyped-def]
    _new(client)
    _new(client, county_code="320102", lead_type="online")
    month = utcnow().astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    office = login("jiangsu.office").get("/api/leads/summary", params={"month": month}).json()
    chief = login("gusu.chief").get("/api/leads/summary", params={"month": month}).json()
    everything = dict(stats.counts_by(session, "county", month=month))
    assert office["by_county"] == everything
    assert (
        set(chief["by_county"]) == {"320508"}
        and chief["by_county"]["320508"] == everything["320508"]
    )
    assert sum(office["by_channel"].values()) == sum(everything.values())
    assert login("gusu.police").get("/api/leads/summary").status_code == 403


def test_stats_count_by_county_and_month_without_quarantined_leads(client, session) -> None:  # type: ignore[no-untyped-def]
    before = {(c, m): n for c, m, n in stats.counts_by_county_month(session)}
    code = _new(client, county_code="320583")["tracking_code"]
    _new(client, county_code="320583", website="bot")
    lead = session.execute(select(Lead).where(Lead.tracking_code == code)).scalar_one()
    after = {(c, m): n for c, m, n in stats.counts_by_county_month(session)}
    key_ = ("320583", lead.received_month)
    assert after[key_] == before.get(key_, 0) + 1


def test_a_new_lead_starts_at_version_one(client, login) -> None:  # type: ignore[no-untyped-def]
    assert _find(login("gusu.police"), _new(client)["tracking_code"])["version"] == 1


# Who may change a Gusu police lead: its line in its county and above; nobody beside it.
CHANGERS = {
    "gusu.police": 200,
    "gusu.chief": 200,
    "suzhou.police": 200,
    "wuzhong.police": 404,
    "nanjing.police": 404,
    "gusu.civil": 404,
    "gusu.edu": 404,
    "suzhou.dna": 403,
    "jiangsu.office": 403,
    "jiangsu.edu.liaison": 403,
    "gusu.school": 403,
    "sysadmin": 403,
    "secadmin": 403,
    "auditor": 403,
}


@pytest.mark.parametrize(("persona", "status"), sorted(CHANGERS.items()))
@pytest.mark.parametrize("change", ["acknowledge", "transfer", "release"])
def test_only_the_leads_line_may_change_it(client, login, session, persona, status, change) -> None:  # type: ignore[no-untyped-def]
    body = {"website": "bot"} if change == "release" else {}  # release needs a quarantined lead
    code = _new(client, **body)["tracking_code"]
    lead_id = session.execute(select(Lead.public_id).where(Lead.tracking_code == code)).scalar_one()
    extra = {"unit_code": "320508-MZ", "reason": "移交民政"} if change == "transfer" else {}
    r = login(persona).post(f"/api/leads/{lead_id}/{change}", json={"version": 1, **extra})
    assert r.status_code == status, r.text
    if status != 200:
        assert code not in r.text


@pytest.mark.skipif(
    actions.case_service() is None, reason="the missing-child case module is not installed"
)
def test_one_step_opens_a_real_missing_child_case(client, login, session) -> None:  # type: ignore[no-untyped-def]
    from fanguai.alerts.models import MissingCase

    chief = login("gusu.chief")
    item = _find(chief, _new(client)["tracking_code"])
    r = chief.post(f"/api/leads/{item['id']}/open-case", json={"version": item["version"]})
    assert r.status_code == 200, r.text
    detail = chief.get(f"/api/leads/{item['id']}").json()
    case = session.execute(
        select(MissingCase).where(MissingCase.public_id == detail["case_id"])
    ).scalar_one()
    assert case.lead_public_id == item["id"] and case.county_code == "320508"
