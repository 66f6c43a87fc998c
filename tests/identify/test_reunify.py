"""From a child registered at the shelter to the family: through the JSON API, with the missing
case closing as found and its alert withdrawn; a rescued child's file goes to victim assistance."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from fanguai.alerts.models import Alert, MissingCase
from fanguai.db import utcnow
from fanguai.dna.demo import DEMO_TRUTH, demo_samples
from fanguai.dna.models import Specimen
from fanguai.identify.demo import JOURNEY
from fanguai.identify.models import FoundPerson, MissingRecord, Reunification
from fanguai.people.service import today_in_beijing
from fanguai.tasks.models import Task


def _profile(lab_ref: str) -> dict[str, str]:
    sample = next(s for s in demo_samples()[1] if s.ref == lab_ref)
    return {locus: "/".join(g) for locus, g in sample.genotypes.items()}


def _journey_case(session) -> MissingCase:  # type: ignore[no-untyped-def]
    from fanguai.identify.fields import person_field
    from fanguai.people.models import Person
    from fanguai.security.crypto_runtime import field_crypto

    for case in session.execute(select(MissingCase).where(MissingCase.status == "open")).scalars():
        if (
            person_field(field_crypto(), session.get(Person, case.person_id), "name")
            == JOURNEY.child
        ):
            return case
    raise AssertionError("the demo has no open case for the journey family")


@pytest.fixture
def identified(login, session):  # type: ignore[no-untyped-def]
    """The journey child registered, typed, searched, re-tested and confirmed (API)."""
    civil, dna = login("gusu.civil"), login("suzhou.dna")
    found_at = (utcnow() - timedelta(hours=3)).isoformat()
    r = civil.post(
        "/api/found",
        json={
            "source": "shelter_intake",
            "found_at": found_at,
            "county_code": "320508",
            "name": "小宝",
            "sex": "male",
            "age_min": 4,
            "age_max": 6,
            "description": "左眉上方有一道浅疤",
        },
    )
    assert r.status_code == 201, r.text
    found_id = r.json()["id"]
    child = DEMO_TRUTH[JOURNEY.index].child
    r = dna.post(
        f"/api/found/{found_id}/specimen",
        json={"profile": _profile(child), "kit": "Goldeneye DNA ID 22NC", "lab_ref": "SZU-J-0001"},
    )
    assert r.status_code == 200, r.text
    candidates = dna.post(f"/api/found/{found_id}/dna-search").json()
    top = candidates[0]
    case = _journey_case(session)
    assert top["level"] == "dna_supported" and top["side_hidden"]
    # The analyst who can see the case's specimens gets them on the candidate; the family stays
    # hidden from the list until confirmed (DNA only).
    r = dna.post(f"/api/candidates/{top['id']}/retest", json={"profile": _profile(child)})
    assert r.status_code == 200 and r.json()["retest"] == "agrees", r.text
    r = dna.post(f"/api/candidates/{top['id']}/confirm", json={"note": "复核一致，签字确认"})
    assert r.status_code == 200 and r.json()["level"] == "confirmed", r.text
    confirmed = r.json()
    assert confirmed["side_type"] == "missing_case" and confirmed["side_id"] == case.public_id
    return found_id, case


def test_the_reunification_closes_the_case_and_withdraws_its_alert(
    identified, login, session
) -> None:  # type: ignore[no-untyped-def]
    found_id, case = identified
    alert = session.execute(select(Alert).where(Alert.case_id == case.id)).scalar_one()
    assert alert.status == "active"
    today = today_in_beijing().isoformat()
    r = login("gusu.chief").post(
        f"/api/found/{found_id}/reunification",
        json={
            "reunited_on": today,
            "place": "姑苏区公安局接待室",
            "family_contacted": "父亲陈志明、母亲赵丽娟到场",
            "child_wishes": "愿意跟父母回家",
        },
    )
    assert r.status_code == 201, r.text
    session.expire_all()
    case = session.get(MissingCase, case.id)
    assert case.status == "closed" and case.outcome == "found_alive"
    assert session.get(Alert, alert.id).status == "withdrawn"
    found = session.execute(
        select(FoundPerson).where(FoundPerson.public_id == found_id)
    ).scalar_one()
    assert found.status == "reunited"
    # R-DNA-8: the parents' profiles are now kept for a set period, then shredded.
    truth = DEMO_TRUTH[JOURNEY.index]
    parents = (
        session.execute(select(Specimen).where(Specimen.lab_ref.in_([truth.father, truth.mother])))
        .scalars()
        .all()
    )
    assert len(parents) == 2
    assert all(p.retain_until is not None and p.retain_until > utcnow() for p in parents)
    open_tasks = (
        session.execute(select(Task).where(Task.subject_id == found_id, Task.status == "open"))
        .scalars()
        .all()
    )
    assert open_tasks == []


def test_only_the_case_leader_or_a_head_above_closes_the_case(identified, login, session) -> None:  # type: ignore[no-untyped-def]
    found_id, case = identified
    r = login("gusu.police").post(
        f"/api/found/{found_id}/reunification",
        json={
            "reunited_on": today_in_beijing().isoformat(),
            "place": "姑苏区",
            "family_contacted": "父亲",
            "child_wishes": "回家",
        },
    )
    assert r.status_code == 403
    session.expire_all()
    assert session.get(MissingCase, case.id).status == "open"
    found = session.execute(
        select(FoundPerson).where(FoundPerson.public_id == found_id)
    ).scalar_one()
    assert found.status == "identified"
    assert (
        session.execute(
            select(Reunification).where(Reunification.found_person_id == found.id)
        ).first()
        is None
    )


def test_a_child_under_eight_is_reunited_without_recorded_wishes(identified, login) -> None:  # type: ignore[no-untyped-def]
    found_id, _ = identified  # estimated 4 to 6 years old
    r = login("gusu.chief").post(
        f"/api/found/{found_id}/reunification",
        json={
            "reunited_on": today_in_beijing().isoformat(),
            "place": "姑苏区",
            "family_contacted": "父亲",
        },
    )
    assert r.status_code == 201, r.text


def test_a_future_reunification_date_is_refused_with_its_field(identified, login) -> None:  # type: ignore[no-untyped-def]
    found_id, _ = identified
    r = login("gusu.chief").post(
        f"/api/found/{found_id}/reunification",
        json={
            "reunited_on": "2099-01-01",
            "place": "姑苏区",
            "family_contacted": "父亲",
            "child_wishes": "回家",
        },
    )
    assert r.status_code == 422 and r.json()["field"] == "reunited_on"


def test_an_older_child_is_heard_before_the_return(login, session) -> None:  # type: ignore[no-untyped-def]
    # The demo's identified runaway (born 2010) waits for the reunification.
    found = (
        session.execute(select(FoundPerson).where(FoundPerson.status == "identified"))
        .scalars()
        .first()
    )
    r = login("gusu.chief").post(
        f"/api/found/{found.public_id}/reunification",
        json={
            "reunited_on": today_in_beijing().isoformat(),
            "place": "姑苏区",
            "family_contacted": "母亲钱芳",
        },
    )
    assert r.status_code == 422 and r.json()["field"] == "child_wishes"


def test_a_rescued_child_reunited_is_handed_to_victim_assistance(login, session) -> None:  # type: ignore[no-untyped-def]
    from fanguai.victims.models import VictimFile

    dna, chief = login("suzhou.dna"), login("gusu.chief")
    rescued = session.execute(
        select(FoundPerson).where(FoundPerson.source == "rescue")
    ).scalar_one()
    candidates = dna.get(f"/api/found/{rescued.public_id}/candidates").json()
    top = candidates[0]
    truth = next(f for f in DEMO_TRUTH if f.child_kind == "rescued_victim" and f.couple)
    assert (
        dna.post(
            f"/api/candidates/{top['id']}/retest", json={"profile": _profile(truth.child)}
        ).json()["retest"]
        == "agrees"
    )
    confirmed = dna.post(f"/api/candidates/{top['id']}/confirm", json={}).json()
    assert confirmed["side_type"] == "missing_record"
    r = chief.post(
        f"/api/found/{rescued.public_id}/reunification",
        json={
            "reunited_on": today_in_beijing().isoformat(),
            "place": "吴中区",
            "family_contacted": "父亲黄伟",
            "child_wishes": "想回家上学",
        },
    )
    assert r.status_code == 201, r.text
    file_id = r.json()["victim_file"]
    assert file_id is not None
    victim_file = session.execute(
        select(VictimFile).where(VictimFile.public_id == file_id)
    ).scalar_one()
    assert victim_file.found_person_public_id == rescued.public_id
    record = session.execute(
        select(MissingRecord).where(MissingRecord.public_id == confirmed["side_id"])
    ).scalar_one()
    assert record.status == "found"
