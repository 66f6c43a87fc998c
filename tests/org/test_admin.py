"""B4: three separate admin roles; none can do the others' work or read business data."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError

from fanguai.org.models import User, user_role


def _id(session, username: str) -> str:  # type: ignore[no-untyped-def]
    return session.execute(select(User.public_id).where(User.username == username)).scalar_one()


def test_the_database_refuses_a_second_admin_role(session) -> None:  # type: ignore[no-untyped-def]
    user_id = session.execute(select(User.id).where(User.username == "sysadmin")).scalar_one()
    session.info["fanguai_bookkeeping"] = True  # past the ORM guard: the database must refuse
    nested = session.begin_nested()
    with pytest.raises(DBAPIError, match="at most one admin role"):
        session.execute(insert(user_role).values(user_id=user_id, role_code="audit_admin"))
    nested.rollback()
    session.info.pop("fanguai_bookkeeping")


@pytest.mark.parametrize("roles", [["sys_admin", "audit_admin"], ["sec_admin", "police_officer"]])
def test_the_security_admin_cannot_combine_admin_roles(login, session, roles) -> None:  # type: ignore[no-untyped-def]
    c = login("secadmin")
    r = c.post(
        f"/admin/security/users/{_id(session, 'gusu.edu')}/roles",
        data={"role": roles},
        follow_redirects=False,
    )
    assert r.status_code == 422
    user = session.execute(select(User).where(User.username == "gusu.edu")).scalar_one()
    assert user.role_codes == {"sector_officer"}


def test_no_admin_can_change_their_own_roles(login, session) -> None:  # type: ignore[no-untyped-def]
    c = login("secadmin")
    r = c.post(
        f"/admin/security/users/{_id(session, 'secadmin')}/roles",
        data={"role": ["viewer"]},
        follow_redirects=False,
    )
    assert r.status_code == 403


ADMIN_ONLY = {
    "sysadmin": {
        "/admin/system": 200,
        "/admin/security": 403,
        "/admin/audit": 403,
        "/api/admin/audit/events": 403,
        "/api/measures": 403,
    },
    "secadmin": {
        "/admin/system": 403,
        "/admin/security": 200,
        "/admin/audit": 403,
        "/api/admin/audit/events": 403,
        "/api/measures": 403,
        "/api/units": 403,
    },
    "auditor": {
        "/admin/system": 403,
        "/admin/security": 403,
        "/admin/audit": 200,
        "/api/admin/audit/events": 200,
        "/api/measures": 403,
        "/api/units": 403,
        "/api/staff": 403,
    },
}


@pytest.mark.parametrize("admin", sorted(ADMIN_ONLY))
def test_each_admin_reaches_only_their_own_interface(login, admin) -> None:  # type: ignore[no-untyped-def]
    c = login(admin)
    got = {path: c.get(path).status_code for path in ADMIN_ONLY[admin]}
    assert got == ADMIN_ONLY[admin]


def test_the_audit_admin_changes_nothing(login, session) -> None:  # type: ignore[no-untyped-def]
    c = login("auditor")
    target = _id(session, "gusu.police")
    for path, data in (
        (f"/admin/system/users/{target}/disable", {}),
        (f"/admin/security/users/{target}/roles", {"role": ["viewer"]}),
        (f"/admin/security/users/{target}/mfa-reset", {}),
        (
            "/admin/system/users",
            {
                "username": "x.y",
                "display_name": "x",
                "unit_code": "320508-GA",
                "password": "x" * 12,
            },
        ),
    ):
        assert c.post(path, data=data, follow_redirects=False).status_code == 403


def test_the_system_admin_creates_bare_accounts_and_cannot_grant_roles(login, session) -> None:  # type: ignore[no-untyped-def]
    c = login("sysadmin")
    r = c.post(
        "/admin/system/users",
        data={
            "username": "new.clerk",
            "display_name": "阿依古丽·买买提",
            "unit_code": "320508-MZ",
            "password": "Xq7#kLm2vR9p",
        },
        follow_redirects=False,
    )
    assert r.status_code == 200 and "一次性开通码" in r.text  # shown once, to hand over
    user = session.execute(select(User).where(User.username == "new.clerk")).scalar_one()
    assert user.role_codes == frozenset()
    target = user.public_id
    assert (
        c.post(
            f"/admin/security/users/{target}/roles",
            data={"role": ["caseworker"]},
            follow_redirects=False,
        ).status_code
        == 403
    )


def test_the_audit_page_shows_the_chain_intact(login) -> None:  # type: ignore[no-untyped-def]
    page = login("auditor").get("/admin/audit?verify=1")
    assert page.status_code == 200 and "审计日志完整" in page.text


def test_a_county_security_admin_cannot_reset_users_elsewhere(session, field_crypto) -> None:  # type: ignore[no-untyped-def]
    from fanguai.core.actor import cli_actor
    from fanguai.errors import NotFound
    from fanguai.org.actions import create_user
    from fanguai.org.schemas import UserCreate
    from fanguai.security import mfa
    from fanguai.security.service import actor_for_user

    county_admin = create_user(
        session,
        actor=cli_actor("test"),
        data=UserCreate(
            username="gusu.sec",
            display_name="姑苏安全员",
            unit_code="320508-GA",
            password="Xq7#kLm2vR9p",
            roles=["sec_admin"],
        ),
    )
    actor = actor_for_user(county_admin)
    elsewhere = _id(session, "nanjing.police")
    with pytest.raises(NotFound):
        mfa.reset(session, actor=actor, user_public_id=elsewhere, crypto=field_crypto)
    with pytest.raises(NotFound):
        mfa.issue_enrolment_code(
            session, crypto=field_crypto, actor=actor, user_public_id=elsewhere
        )
    assert mfa.reset(
        session, actor=actor, user_public_id=_id(session, "gusu.police"), crypto=field_crypto
    )
