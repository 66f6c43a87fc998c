"""The JSON API: 422 names the field (imports name row and field), 404 out of scope or unknown,
409 when the state does not allow the change; masked identities, no DNA in the answers."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from fanguai.identify.models import FoundPerson

FOUND = {
    "source": "wandering_minor",
    "found_at": "2026-01-05T10:00:00+08:00",
    "county_code": "320508",
    "name": "小明",
    "sex": "male",
    "age_min": 7,
    "age_max": 9,
}


def test_a_registration_answers_the_masked_record(login) -> None:  # type: ignore[no-untyped-def]
    r = login("gusu.police").post("/api/found", json=FOUND)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (
        body["name"] == "小*"
        and body["status"] == "registered"
        and body["found_on"] == "2026-01-05"
    )
    assert "birth_date" not in body and "person_id" not in body and "specimen" not in body


def test_bad_bodies_name_the_field(login) -> None:  # type: ignore[no-untyped-def]
    client = login("gusu.police")
    r = client.post("/api/found", json={**FOUND, "county_code": "320500"})
    assert r.status_code == 422 and r.json()["field"] == "county_code"
    r = client.post("/api/found", json={**FOUND, "status": "identified"})  # mass assignment
    assert r.status_code == 422 and any(e["field"] == "status" for e in r.json()["errors"])
    r = client.post("/api/found", json={**FOUND, "found_at": "2026-02-30T10:00:00+08:00"})
    assert r.status_code == 422 and any(e["field"] == "found_at" for e in r.json()["errors"])


def test_an_import_refusal_lists_row_and_field(login) -> None:  # type: ignore[no-untyped-def]
    content = b"source,found_at,county_code\ncensus,2026-01-05,320508\ncensus,2026-13-01,320508\n"
    r = login("gusu.police").post(
        "/api/found/import", files={"file": ("x.csv", content, "text/csv")}
    )
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert [(e["row"], e["field"], e["code"]) for e in errors] == [
        (3, "found_at", "date_impossible")
    ]


def test_unknown_and_out_of_scope_records_both_answer_404(login, session) -> None:  # type: ignore[no-untyped-def]
    client = login("nanjing.police")
    gusu = session.execute(select(FoundPerson).order_by(FoundPerson.id)).scalars().first()
    assert client.get(f"/api/found/{gusu.public_id}").status_code == 404
    assert client.get(f"/api/found/{uuid.uuid4()}").status_code == 404
    assert client.get(f"/api/candidates/{uuid.uuid4()}").status_code == 404


def test_a_specimen_body_takes_an_id_or_a_profile_not_both(login, session) -> None:  # type: ignore[no-untyped-def]
    found = (
        session.execute(select(FoundPerson).where(FoundPerson.status == "registered"))
        .scalars()
        .first()
    )
    r = login("suzhou.dna").post(
        f"/api/found/{found.public_id}/specimen",
        json={"specimen": "abcd", "profile": {"vWA": "14/16"}},
    )
    assert r.status_code == 422
    r = login("suzhou.dna").post(
        f"/api/found/{found.public_id}/specimen", json={"specimen": "no-such-specimen"}
    )
    assert r.status_code == 422 and r.json()["field"] == "specimen"


def test_a_closed_record_refuses_more_changes_with_409(login) -> None:  # type: ignore[no-untyped-def]
    client = login("gusu.police")
    found_id = client.post("/api/found", json=FOUND).json()["id"]
    assert (
        client.post(f"/api/found/{found_id}/close", json={"reason": "已由家属领回"}).status_code
        == 200
    )
    r = client.post(f"/api/found/{found_id}/sample", json={"sample_ref": "GS-1"})
    assert r.status_code == 409 and r.json()["field"] == "status"


def test_the_calendar_answers_the_builtin_days(login) -> None:  # type: ignore[no-untyped-def]
    body = login("gusu.civil").get("/api/found/calendar?year=2026").json()
    assert (
        body["known"]
        and {"day": "2026-10-10", "kind": "workday", "name": "国庆节调休上班", "builtin": True}
        in body["days"]
    )
    assert login("gusu.civil").get("/api/found/calendar?year=1999").status_code == 422
