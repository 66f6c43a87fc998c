"""The retention API and page: holds scoped like the records, precise errors, Chinese page."""

from __future__ import annotations

from sqlalchemy import select

from fanguai.leads.models import Lead
from fanguai.org.models import Unit

GHOST = "00000000-0000-4000-8000-000000000000"


def _lead_at(session, unit_code: str) -> str:  # type: ignore[no-untyped-def]
    unit = session.execute(select(Unit).where(Unit.code == unit_code)).scalar_one()
    lead = (
        session.execute(select(Lead).where(Lead.owner_unit_id == unit.id).order_by(Lead.id))
        .scalars()
        .first()
    )
    assert lead is not None, f"the demo has no lead at {unit_code}"
    return lead.public_id


def test_a_supervisor_holds_a_record_in_scope_and_sees_it_listed(login, session) -> None:  # type: ignore[no-untyped-def]
    chief = login("gusu.chief")
    lead = _lead_at(session, "320508-GA")
    r = chief.post(
        "/api/retention/holds",
        json={"object_type": "lead", "object_id": lead, "reason": "诉讼保全需要"},
    )
    assert r.status_code == 201, r.text
    hold = r.json()
    assert hold["object_id"] == lead and hold["released_at"] is None
    listed = chief.get("/api/retention/holds").json()
    assert [h["id"] for h in listed["items"]] == [hold["id"]] and listed["total"] == 1
    # The same record again: 409, with the reason.
    again = chief.post(
        "/api/retention/holds",
        json={"object_type": "lead", "object_id": lead, "reason": "再次保全"},
    )
    assert again.status_code == 409 and "already under a legal hold" in again.text
    # The office (no leads permission) does not see a hold on a lead.
    nanjing_view = login("jiangsu.office").get("/api/retention/holds").json()
    assert nanjing_view["total"] == 0
    r = chief.post(f"/api/retention/holds/{hold['id']}/release", json={"reason": "诉讼已终结"})
    assert r.status_code == 200 and r.json()["release_reason"] == "诉讼已终结"


def test_holds_on_unknown_or_out_of_scope_records_read_as_not_found(login, session) -> None:  # type: ignore[no-untyped-def]
    chief = login("gusu.chief")
    nanjing_lead = _lead_at(session, "320102-GA")
    for object_id in (GHOST, nanjing_lead):
        r = chief.post(
            "/api/retention/holds",
            json={"object_type": "lead", "object_id": object_id, "reason": "诉讼保全需要"},
        )
        assert r.status_code == 404, r.text
    r = chief.post(
        "/api/retention/holds",
        json={"object_type": "lead", "object_id": _lead_at(session, "320508-GA"), "reason": " "},
    )
    assert r.status_code == 422 and "reason" in r.text
    r = chief.post(
        "/api/retention/holds",
        json={"object_type": "person", "object_id": GHOST, "reason": "诉讼保全需要"},
    )
    assert r.status_code == 422 and "object_type" in r.text


def test_the_page_shows_the_schedule_and_keeps_the_form_on_an_error(login, session) -> None:  # type: ignore[no-untyped-def]
    chief = login("gusu.chief")
    page = chief.get("/retention")
    assert page.status_code == 200
    assert "保存期限与依法保全" in page.text and "未立案、未并案的线索" in page.text
    r = chief.post(
        "/retention/holds",
        data={"object_type": "lead", "object_id": GHOST, "reason": "诉讼保全需要"},
    )
    assert r.status_code == 404
    assert "找不到该记录" in r.text and GHOST in r.text and "诉讼保全需要" in r.text
    r = chief.post(
        "/retention/holds",
        data={"object_type": "lead", "object_id": _lead_at(session, "320508-GA"), "reason": ""},
    )
    assert r.status_code == 422 and "请填写事由" in r.text


def test_staff_without_the_permission_get_no_page(login) -> None:  # type: ignore[no-untyped-def]
    assert login("gusu.police").get("/retention").status_code == 403
    assert login("gusu.police").get("/api/retention/schedule").status_code == 403


def test_a_record_page_links_a_supervisor_to_the_hold_form_filled_in(login, session) -> None:  # type: ignore[no-untyped-def]
    lead_id = _lead_at(session, "320508-GA")
    link = f"/retention?type=lead&amp;id={lead_id}#hold"
    chief = login("gusu.chief")
    assert link in chief.get(f"/leads/{lead_id}").text
    form = chief.get(f"/retention?type=lead&id={lead_id}").text
    assert f'value="{lead_id}"' in form and '<option value="lead" selected>' in form
    # an unknown type fills in nothing
    assert f'value="{lead_id}"' not in chief.get(f"/retention?type=person&id={lead_id}").text
    # an officer without the permission sees the lead but no link
    page = login("gusu.police").get(f"/leads/{lead_id}")
    assert page.status_code == 200 and "/retention?" not in page.text
