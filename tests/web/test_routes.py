"""Every route declares its permission; every writing route goes through an action."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from fastapi import APIRouter, Depends
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from fanguai.audit.models import AuditEvent
from fanguai.core.actions import WriteOutsideAction
from fanguai.org.models import Unit
from fanguai.web.deps import declared_permission, get_session, iter_api_routes, require
from tests.conftest import submit_login_form

# Written by hand: the only routes anyone may call without logging in.
PUBLIC_ROUTES = {
    ("GET", "/healthz"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/api/session"),
    # Partners' public alert page: what a finder needs, never the family's data (docs/alerts.md).
    ("GET", "/public/alerts/{alert_id}"),
    ("GET", "/public/alerts/{alert_id}/photo"),
    # Alert opt-out: a volunteer's signed link, the app's HMAC-signed withdrawal (docs/alerts.md).
    ("GET", "/public/optout/{token}"),
    ("POST", "/public/optout/{token}"),
    ("POST", "/api/alerts/app-tokens/withdraw"),
    # The public's reporting channel: report, follow its status, ask for a challenge (docs/leads.md).
    ("GET", "/report"),
    ("POST", "/report"),
    ("GET", "/report/status"),
    ("POST", "/report/status"),
    ("GET", "/api/leads/challenge"),
    ("POST", "/api/leads/public"),
    ("POST", "/api/leads/status"),
}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class _R:
    def __init__(self, path, route):  # type: ignore[no-untyped-def]
        self.path, self.dependant = path, route.dependant


def _routes(app):  # type: ignore[no-untyped-def]
    routes = [(m, _R(p, r)) for m, p, r in iter_api_routes(app)]
    assert len(routes) > 15  # the walk itself must see the app's routes
    return routes


def test_every_route_declares_a_permission(app) -> None:  # type: ignore[no-untyped-def]
    undeclared = [
        f"{m} {r.path}" for m, r in _routes(app) if declared_permission(r.dependant) is None
    ]
    assert undeclared == []


def test_public_routes_are_exactly_the_allow_list(app) -> None:  # type: ignore[no-untyped-def]
    public = {
        (m, r.path) for m, r in _routes(app) if declared_permission(r.dependant).permission is None
    }
    assert public == PUBLIC_ROUTES


def test_the_only_other_routes_are_static_files_and_the_schema(app) -> None:  # type: ignore[no-untyped-def]
    from fastapi.routing import iter_route_contexts

    others = {
        ctx.path
        for ctx in iter_route_contexts(app.routes)
        if not isinstance(ctx.original_route, APIRoute)
    }
    assert others == {"/static", "/openapi.json"}


def _audit_count(session) -> int:  # type: ignore[no-untyped-def]
    return session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def _call_login_form(client, login):  # type: ignore[no-untyped-def]
    return submit_login_form(client, "gusu.police", "wrong-password-1", next="/")


def _call_logout(client, login):  # type: ignore[no-untyped-def]
    c = login("gusu.police")
    return c.post("/logout", data={"csrf_token": c.csrf}, follow_redirects=False)


def _call_api_session(client, login):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/session", json={"username": "gusu.police", "password": "Demo-Persona#2026"}
    )


def _id(client, model, **where):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    with client.app.state.db.session() as s:
        stmt = select(model.public_id)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return s.execute(stmt).scalars().first()


def _user(client, name):  # type: ignore[no-untyped-def]
    from fanguai.org.models import User

    return _id(client, User, username=name)


def _person(client, unit_code="320508-GA", kind="parent"):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from fanguai.org.models import Unit
    from fanguai.people.models import Person

    with client.app.state.db.session() as s:
        unit_id = s.execute(select(Unit.id).where(Unit.code == unit_code)).scalar_one()
        return (
            s.execute(
                select(Person.public_id).where(Person.owner_unit_id == unit_id, Person.kind == kind)
            )
            .scalars()
            .first()
        )


def _pending_grant(client, login):  # type: ignore[no-untyped-def]
    officer = login("gusu.police")
    r = officer.post(
        f"/api/people/{_person(client, kind='missing_child')}/grants",
        json={"reason": "核查走失儿童身份"},
    )
    return r.json()["id"]


def _password_only(client):  # type: ignore[no-untyped-def]
    r = client.post("/api/session", json={"username": "gusu.edu", "password": "Demo-Persona#2026"})
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


PERSON = {"kind": "relative", "name": "张三", "sex": "male"}


def _erase_new_person(login):  # type: ignore[no-untyped-def]
    # Erasure shreds a key in the run's key store, outside the rolled-back transaction: never
    # erase a shared demo person, or later tests could not read it.
    chief = login("gusu.chief")
    person = chief.post("/api/people", json=PERSON).json()["id"]
    return chief.post(f"/api/people/{person}/erase", json={"reason": "撤回同意"})


# One example call for every state-changing route; a new route without an example fails below.
WRITE_EXAMPLES = {
    ("POST", "/login"): _call_login_form,
    ("POST", "/logout"): _call_logout,
    ("POST", "/api/session"): _call_api_session,
    ("POST", "/mfa"): lambda c, login: _password_only(c).post("/mfa", data={"code": "000000"}),
    ("POST", "/mfa/enrol"): lambda c, login: _password_only(c).post(
        "/mfa/enrol", data={"code": "1"}
    ),
    ("POST", "/api/session/mfa"): lambda c, login: _password_only(c).post(
        "/api/session/mfa", json={"code": "000000"}
    ),
    ("POST", "/api/session/mfa/enrol"): lambda c, login: _password_only(c).post(
        "/api/session/mfa/enrol"
    ),
    ("POST", "/api/session/mfa/enrol/confirm"): lambda c, login: _password_only(c).post(
        "/api/session/mfa/enrol/confirm", json={"code": "000000"}
    ),
    ("POST", "/admin/system/users"): lambda c, login: login("sysadmin").post(
        "/admin/system/users",
        data={
            "username": "a.new",
            "display_name": "新人",
            "unit_code": "320508-GA",
            "password": "Xq7#kLm2vR9p",
        },
    ),
    ("POST", "/admin/system/users/{user_id}/disable"): lambda c, login: login("sysadmin").post(
        f"/admin/system/users/{_user(c, 'gusu.edu')}/disable"
    ),
    ("POST", "/admin/system/users/{user_id}/enable"): lambda c, login: login("sysadmin").post(
        f"/admin/system/users/{_user(c, 'gusu.edu')}/enable"
    ),
    ("POST", "/admin/security/users/{user_id}/roles"): lambda c, login: login("secadmin").post(
        f"/admin/security/users/{_user(c, 'gusu.edu')}/roles", data={"role": ["viewer"]}
    ),
    ("POST", "/admin/security/users/{user_id}/mfa-reset"): lambda c, login: login("secadmin").post(
        f"/admin/security/users/{_user(c, 'gusu.edu')}/mfa-reset"
    ),
    ("POST", "/admin/security/users/{user_id}/enrolment-code"): lambda c, login: login(
        "secadmin"
    ).post(f"/admin/security/users/{_user(c, 'gusu.edu')}/enrolment-code"),
    ("POST", "/admin/security/users/{user_id}/unlock"): lambda c, login: login("secadmin").post(
        f"/admin/security/users/{_user(c, 'gusu.edu')}/unlock"
    ),
    ("POST", "/api/people"): lambda c, login: login("gusu.police").post("/api/people", json=PERSON),
    ("POST", "/api/people/search"): lambda c, login: login("gusu.police").post(
        "/api/people/search", json={"id_card": "11010519491231002X"}
    ),
    ("POST", "/api/people/{person_id}/reveal"): lambda c, login: login("gusu.chief").post(
        f"/api/people/{_person(c)}/reveal", json={"fields": ["name"], "reason": "联系家属"}
    ),
    ("POST", "/api/people/{person_id}/erase"): lambda c, login: _erase_new_person(login),
    ("POST", "/api/people/{person_id}/grants"): lambda c, login: login("gusu.police").post(
        f"/api/people/{_person(c, kind='missing_child')}/grants", json={"reason": "核查身份"}
    ),
    ("POST", "/api/people/{person_id}/break-glass"): lambda c, login: login("gusu.police").post(
        f"/api/people/{_person(c, kind='missing_child')}/break-glass",
        json={"reason": "儿童正在被带离本市，需立即核对家长联系方式以便拦截"},
    ),
    ("POST", "/password"): lambda c, login: login("gusu.edu").post(
        "/password",
        data={
            "old_password": "Demo-Persona#2026",
            "new_password": "Tq8#vLm3xR2w",
            "new_password_again": "Tq8#vLm3xR2w",
        },
    ),
    ("POST", "/api/session/password"): lambda c, login: login("gusu.edu").post(
        "/api/session/password", json={"old_password": "wrong", "new_password": "Tq8#vLm3xR2w"}
    ),
    ("POST", "/api/grants/{grant_id}/approve"): lambda c, login: login("gusu.chief").post(
        f"/api/grants/{_pending_grant(c, login)}/approve"
    ),
    ("POST", "/api/grants/{grant_id}/reject"): lambda c, login: login("gusu.chief").post(
        f"/api/grants/{_pending_grant(c, login)}/reject"
    ),
    ("POST", "/api/grants/{grant_id}/review"): lambda c, login: login("gusu.chief").post(
        f"/api/grants/{_pending_grant(c, login)}/review", json={"reason": "已核查"}
    ),
}


def _module_write_examples() -> dict:
    """Each module's examples, from tests/web/write_examples/<module>.py (a dict EXAMPLES with
    the same shape as WRITE_EXAMPLES)."""
    found: dict = {}
    for path in sorted((Path(__file__).parent / "write_examples").glob("*.py")):
        if path.name.startswith("_"):
            continue
        module = importlib.import_module(f"tests.web.write_examples.{path.stem}")
        clash = set(found) & set(module.EXAMPLES)
        assert not clash, f"{path.name} repeats {clash}"
        found.update(module.EXAMPLES)
    return found


WRITE_EXAMPLES.update(_module_write_examples())


def test_every_writing_route_has_an_example_here(app) -> None:  # type: ignore[no-untyped-def]
    writing = {(m, r.path) for m, r in _routes(app) if m in UNSAFE}
    assert writing == set(WRITE_EXAMPLES)


@pytest.mark.parametrize("route", sorted(WRITE_EXAMPLES), ids=lambda r: f"{r[0]} {r[1]}")
def test_every_writing_route_leaves_an_audit_record(route, client, login, session) -> None:  # type: ignore[no-untyped-def]
    before = _audit_count(session)
    response = WRITE_EXAMPLES[route](client, login)
    assert response.status_code < 500, response.text
    assert _audit_count(session) > before


def test_a_route_that_writes_without_an_action_fails(app, login) -> None:  # type: ignore[no-untyped-def]
    router = APIRouter()

    @router.post("/api/test-sneaky-write")
    def sneaky(actor=require("home.view"), session=Depends(get_session)):  # type: ignore[no-untyped-def]
        session.execute(select(Unit).where(Unit.code == "320508-GA")).scalar_one().name = "x"
        session.commit()
        return {}

    app.include_router(router)
    c = login("gusu.police")
    with pytest.raises(WriteOutsideAction):
        c.post("/api/test-sneaky-write")
