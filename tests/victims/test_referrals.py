"""Referrals between units: consent or an audited override; pending → accepted/rejected → done."""

from __future__ import annotations

from sqlalchemy import select

from fanguai.audit.models import AuditEvent
from fanguai.tasks.models import Task
from fanguai.victims.service import today_in_beijing
from tests.victims.conftest import intake


def _file_with_consent(user, scope: str = "education"):  # type: ignore[no-untyped-def]
    civil = user("gusu.civil")
    file_id = civil.post("/api/victims", json=intake(age=12)).json()["id"]
    consent = civil.post(
        f"/api/victims/{file_id}/consents",
        json={"scope": scope, "given_by": "guardian", "given_on": str(today_in_beijing())},
    )
    assert consent.status_code == 201, consent.text
    return civil, file_id, consent.json()["id"]


def test_a_referral_with_consent_is_accepted_then_done_by_the_receiving_unit(user, session) -> None:  # type: ignore[no-untyped-def]
    civil, file_id, consent = _file_with_consent(user)
    r = civil.post(
        f"/api/victims/{file_id}/referrals",
        json={"to_unit": "320508-JY", "kind": "schooling", "note": "请安排就近入学"},
    )
    assert r.status_code == 201, r.text
    referral = r.json()
    assert referral["status"] == "pending" and referral["consent"] == consent
    task = session.execute(
        select(Task).where(
            Task.subject_type == "victim_referral", Task.subject_id == referral["id"]
        )
    ).scalar_one()
    assert task.owner_unit.code == "320508-JY" and task.status == "open"
    edu = user("gusu.edu")
    assert referral["id"] in {x["id"] for x in edu.get("/api/victims/referrals").json()}
    # Done comes after accepted, never straight from pending.
    assert edu.post(f"/api/victims/referrals/{referral['id']}/done", json={}).status_code == 409
    accepted = edu.post(f"/api/victims/referrals/{referral['id']}/accept", json={"note": "已接收"})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    session.expire_all()
    assert session.get(Task, task.id).status == "done"
    assert edu.post(f"/api/victims/referrals/{referral['id']}/reject", json={}).status_code == 409
    done = edu.post(f"/api/victims/referrals/{referral['id']}/done", json={})
    assert done.json()["status"] == "done"
    shown = civil.get(f"/api/victims/{file_id}").json()["referrals"][0]
    assert shown["status"] == "done" and shown["decision_note"] == "已接收"


def test_only_the_receiving_unit_decides(user) -> None:  # type: ignore[no-untyped-def]
    civil, file_id, _ = _file_with_consent(user, scope="all")
    referral = civil.post(
        f"/api/victims/{file_id}/referrals", json={"to_unit": "320508-WJ", "kind": "medical"}
    ).json()
    assert (
        user("gusu.edu")
        .post(f"/api/victims/referrals/{referral['id']}/accept", json={})
        .status_code
        == 404
    )
    assert civil.post(f"/api/victims/referrals/{referral['id']}/accept", json={}).status_code == 403
    r = user("gusu.health").post(
        f"/api/victims/referrals/{referral['id']}/reject", json={"note": "非本院"}
    )
    assert r.json()["status"] == "rejected"


def test_a_referral_without_consent_needs_a_documented_override_audited_high(user, session) -> None:  # type: ignore[no-untyped-def]
    civil = user("gusu.civil")
    file_id = civil.post("/api/victims", json=intake(age=12)).json()["id"]
    refused = civil.post(
        f"/api/victims/{file_id}/referrals", json={"to_unit": "320508-JY", "kind": "schooling"}
    )
    assert refused.status_code == 422 and refused.json()["field"] == "consent_id"
    short = civil.post(
        f"/api/victims/{file_id}/referrals",
        json={"to_unit": "320508-JY", "kind": "schooling", "override_reason": "太短"},
    )
    assert short.status_code == 422
    reason = "监护人下落不明，儿童已到入学年龄，依法须安排入学"
    r = civil.post(
        f"/api/victims/{file_id}/referrals",
        json={"to_unit": "320508-JY", "kind": "schooling", "override_reason": reason},
    )
    assert r.status_code == 201 and r.json()["override"] is True and r.json()["consent"] is None
    event = (
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "victims.refer", AuditEvent.object_id == file_id)
            .order_by(AuditEvent.seq.desc())
        )
        .scalars()
        .first()
    )
    assert event.priority == "high" and event.outcome == "success"
    assert event.detail["override"] is True and event.detail["override_reason"] == reason


def test_consent_for_another_line_does_not_cover_the_referral(user) -> None:  # type: ignore[no-untyped-def]
    civil, file_id, consent = _file_with_consent(user, scope="health")
    r = civil.post(
        f"/api/victims/{file_id}/referrals", json={"to_unit": "320508-JY", "kind": "schooling"}
    )
    assert r.status_code == 422 and r.json()["field"] == "consent_id"
    r = civil.post(
        f"/api/victims/{file_id}/referrals",
        json={"to_unit": "320508-JY", "kind": "schooling", "consent_id": consent},
    )
    assert r.status_code == 422 and r.json()["field"] == "consent_id"


def test_a_unit_that_does_not_give_the_service_cannot_receive_it(user) -> None:  # type: ignore[no-untyped-def]
    civil, file_id, _ = _file_with_consent(user, scope="all")
    for body in (
        {"to_unit": "320508-JY", "kind": "medical"},
        {"to_unit": "320508-GA", "kind": "schooling"},
    ):
        r = civil.post(f"/api/victims/{file_id}/referrals", json=body)
        assert r.status_code == 422 and r.json()["field"] == "to_unit"
    r = civil.post(
        f"/api/victims/{file_id}/referrals", json={"to_unit": "329999-JY", "kind": "schooling"}
    )
    assert r.status_code == 422 and r.json()["field"] == "to_unit"


def test_withdrawn_consent_stops_a_pending_referral(user) -> None:  # type: ignore[no-untyped-def]
    civil, file_id, consent = _file_with_consent(user)
    referral = civil.post(
        f"/api/victims/{file_id}/referrals", json={"to_unit": "320508-JY", "kind": "schooling"}
    ).json()
    today = str(today_in_beijing())
    assert (
        civil.post(
            f"/api/victims/{file_id}/consents/{consent}/withdraw", json={"withdrawn_on": today}
        ).status_code
        == 200
    )
    r = user("gusu.edu").post(f"/api/victims/referrals/{referral['id']}/accept", json={})
    assert r.status_code == 409
    again = civil.post(
        f"/api/victims/{file_id}/referrals", json={"to_unit": "320508-JY", "kind": "schooling"}
    )
    assert again.status_code == 422 and again.json()["field"] == "consent_id"  # consent gone


def test_the_same_open_referral_cannot_be_made_twice(user) -> None:  # type: ignore[no-untyped-def]
    civil, file_id, _ = _file_with_consent(user)
    body = {"to_unit": "320508-JY", "kind": "schooling"}
    assert civil.post(f"/api/victims/{file_id}/referrals", json=body).status_code == 201
    assert civil.post(f"/api/victims/{file_id}/referrals", json=body).status_code == 409
