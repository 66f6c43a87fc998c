"""B3 key sets per role and resource; B5 attempts to raise one's own privileges, all refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from fanguai.audit.models import AuditEvent
from fanguai.org.models import Unit, User

FIELDS = yaml.safe_load((Path(__file__).with_name("field_spec.yaml")).read_text("utf-8"))
FORBIDDEN_EVERYWHERE = {
    "password_hash",
    "totp_secret",
    "recovery_codes",
    "subject_id",
    "id_card_index",
    "enrolment_code_hash",
    "owner_unit_id",
    "birth_date",
}


def _allowed(resource: str, role: str) -> set[str]:
    spec = FIELDS[resource]
    return set(spec.get("any", [])) | set(spec.get(role, []))


@pytest.mark.parametrize(
    "persona,role",
    [("gusu.police", "police_officer"), ("gusu.chief", "supervisor"), ("gusu.civil", "caseworker")],
)
def test_answers_hold_only_the_keys_the_role_may_see(persona, role, login, session) -> None:  # type: ignore[no-untyped-def]
    c = login(persona)
    people = c.get("/api/people").json()["items"]
    for item in people:
        assert (
            set(item) <= _allowed("person_summary", role) and not set(item) & FORBIDDEN_EVERYWHERE
        )
    adults = [p for p in people if p["minor"] == "adult"]
    for item in adults:
        detail = c.get(f"/api/people/{item['id']}").json()
        assert set(detail) <= _allowed("person_detail", role)
    units = c.get("/api/units").json()["items"]
    assert all(set(u) <= _allowed("unit", role) for u in units)
    if role == "supervisor":
        staff = c.get("/api/staff").json()
        assert all(set(u) <= _allowed("staff_user", role) for u in staff)
        if adults:
            shown = c.post(
                f"/api/people/{adults[0]['id']}/reveal",
                json={"fields": ["name", "phone"], "reason": "核实家属身份"},
            ).json()
            assert set(shown) <= _allowed("person_reveal", role)


ESCALATION = {
    "role": "sys_admin",
    "roles": ["sys_admin", "supervisor"],
    "unit_code": "320000-GA",
    "unit_id": 1,
    "department": "police",
    "level": "province",
    "clearance": "top",
    "is_admin": True,
    "permissions": ["users.manage"],
}


def test_no_writable_endpoint_lets_a_user_raise_their_own_privileges(app, login, session) -> None:  # type: ignore[no-untyped-def]
    from fanguai.web.deps import iter_api_routes

    c = login("gusu.police")
    me = session.execute(select(User).where(User.username == "gusu.police")).scalar_one()
    own = me.public_id
    before = (sorted(me.role_codes), me.unit_id, me.auth_epoch)
    person = c.get("/api/people").json()["items"][0]["id"]
    tried = 0
    for method, path, _route in iter_api_routes(app):
        if method not in ("POST", "PUT", "PATCH", "DELETE") or path in (
            "/logout",
            "/api/session",
            "/login",
        ):
            continue
        url = (
            path.replace("{user_id}", own)
            .replace("{person_id}", person)
            .replace("{grant_id}", "00000000-0000-4000-8000-000000000000")
        )
        for payload in ({"json": ESCALATION}, {"data": {**ESCALATION, "role": ["sys_admin"]}}):
            r = c.request(method, url, follow_redirects=False, **payload)
            assert r.status_code < 500, (method, path, r.text)
            tried += 1
    session.expire_all()
    me = session.execute(select(User).where(User.username == "gusu.police")).scalar_one()
    assert (sorted(me.role_codes), me.unit_id) == (before[0], before[1])
    assert c.get("/api/me").json()["roles"] == ["police_officer"]
    assert tried > 40
    # Every attempt left a record; the admin routes refused him as denials.
    denied = (
        session.execute(
            select(AuditEvent).where(
                AuditEvent.actor_name == "gusu.police",
                AuditEvent.outcome == "denied",
                AuditEvent.object_id.like("/admin/%"),
            )
        )
        .scalars()
        .all()
    )
    assert len(denied) >= 6


def test_a_unit_cannot_be_chosen_when_registering_a_person(login, session) -> None:  # type: ignore[no-untyped-def]
    c = login("gusu.police")
    r = c.post("/api/people", json={"kind": "relative", "name": "张三"})
    assert r.status_code == 201 and r.json()["owner_unit"] == "苏州市姑苏区公安局"
    province = session.execute(select(Unit).where(Unit.code == "320000-GA")).scalar_one()
    r = c.post(
        "/api/people", json={"kind": "relative", "name": "张三", "owner_unit": province.name}
    )
    assert r.status_code == 422
