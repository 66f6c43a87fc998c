"""What a user of one unit may see of others: out of scope answers exactly like missing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from fanguai.org.models import Unit, User


def _unit_id(session, code: str) -> str:  # type: ignore[no-untyped-def]
    return session.execute(select(Unit.public_id).where(Unit.code == code)).scalar_one()


def _user_id(session, username: str) -> str:  # type: ignore[no-untyped-def]
    return session.execute(select(User.public_id).where(User.username == username)).scalar_one()


def test_it_hides_a_sibling_county_unit_exactly_like_a_missing_one(login, session) -> None:  # type: ignore[no-untyped-def]
    c = login("gusu.police")
    sibling = c.get(f"/api/units/{_unit_id(session, '320506-GA')}")
    missing = c.get(f"/api/units/{uuid.uuid4()}")
    assert sibling.status_code == missing.status_code == 404
    assert sibling.content == missing.content
    page_sibling = c.get(f"/units/{_unit_id(session, '320506-GA')}")
    page_missing = c.get(f"/units/{uuid.uuid4()}")
    assert page_sibling.status_code == page_missing.status_code == 404
    assert page_sibling.content == page_missing.content


@pytest.mark.parametrize("code", ["320508-GA", "320508-MZ", "320500-GA", "320000-GA", "320000-FGB"])
def test_a_county_user_sees_own_county_city_and_province_units(login, session, code) -> None:  # type: ignore[no-untyped-def]
    c = login("gusu.police")
    assert c.get(f"/api/units/{_unit_id(session, code)}").status_code == 200


@pytest.mark.parametrize("code", ["320506-GA", "320100-GA", "320106-GA", "320600-MZ"])
def test_a_county_user_does_not_see_units_beside_or_elsewhere(login, session, code) -> None:  # type: ignore[no-untyped-def]
    c = login("gusu.police")
    assert c.get(f"/api/units/{_unit_id(session, code)}").status_code == 404


def test_the_unit_list_and_its_count_hold_no_sibling_county(login) -> None:  # type: ignore[no-untyped-def]
    c = login("gusu.police")
    seen, page = [], 1
    while True:
        body = c.get("/api/units", params={"page": page, "page_size": 200}).json()
        seen += body["items"]
        if page * 200 >= body["total"]:
            break
        page += 1
    assert len(seen) == body["total"]
    divisions = {u["division_code"] for u in seen}
    assert divisions == {"320000", "320500", "320508"}
    filtered = c.get("/api/units", params={"division": "320506"}).json()
    assert filtered["total"] == 0 and filtered["items"] == []


def test_a_city_user_sees_every_county_of_the_city_but_no_other_city(login) -> None:  # type: ignore[no-untyped-def]
    c = login("suzhou.police")
    body = c.get("/api/units", params={"page_size": 200, "department": "police"}).json()
    divisions = {u["division_code"] for u in body["items"]}
    assert {"320508", "320506", "320500", "320000"} <= divisions
    assert not any(d.startswith("3201") for d in divisions)


def test_staff_lists_follow_jurisdiction_and_department_line(login, session) -> None:  # type: ignore[no-untyped-def]
    chief = login("gusu.chief")
    names = {u["username"] for u in chief.get("/api/staff").json()}
    assert names == {"gusu.police", "gusu.chief"}  # not 姑苏区民政/教育, not 吴中区
    assert chief.get(f"/api/staff/{_user_id(session, 'gusu.civil')}").status_code == 404
    assert chief.get(f"/api/staff/{_user_id(session, 'wuzhong.police')}").status_code == 404
    city = login("suzhou.police")
    names = {u["username"] for u in city.get("/api/staff").json()}
    assert {"gusu.police", "wuzhong.police", "suzhou.dna"} <= names
    assert "nanjing.police" not in names and "gusu.civil" not in names


def test_a_role_without_the_permission_gets_403_and_an_audit_record(login, session) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func

    from fanguai.audit.models import AuditEvent

    before = session.execute(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.outcome == "denied")
    ).scalar_one()
    c = login("gusu.police")
    assert c.get("/api/staff").status_code == 403
    after = session.execute(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.outcome == "denied")
    ).scalar_one()
    assert after == before + 1


@pytest.mark.parametrize("admin", ["sysadmin", "secadmin", "auditor"])
def test_admins_cannot_read_the_measures_catalogue_pages_of_business(login, admin) -> None:  # type: ignore[no-untyped-def]
    # 三权分立: the admin roles do admin work only; the plan pages belong to business roles.
    c = login(admin)
    assert c.get("/api/measures").status_code == 403
