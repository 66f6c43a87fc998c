"""Writing routes of the alerts module, for the B5 sweep in tests/web/test_routes.py."""

from __future__ import annotations

from datetime import timedelta

from fanguai.db import utcnow

CASE = {
    "child": {"name": "示例童", "sex": "female", "age": 5, "description": "蓝色裙子"},
    "last_seen_place": "平江路",
    "last_seen_lat": 31.3236,
    "last_seen_lng": 120.6175,
    "category": "lost",
}


def _case(login) -> str:  # type: ignore[no-untyped-def]
    body = {**CASE, "last_seen_at": (utcnow() - timedelta(minutes=10)).isoformat()}
    r = login("gusu.police").post("/api/cases", json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _published(login) -> str:  # type: ignore[no-untyped-def]
    case = _case(login)
    assert login("gusu.chief").post(f"/api/cases/{case}/alert").status_code == 201
    return case


def _form(login, who: str, path: str, data: dict | None = None):  # type: ignore[no-untyped-def]
    c = login(who)
    return c.post(path, data={"csrf_token": c.csrf, **(data or {})}, follow_redirects=False)


def _leader_id(c) -> str:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from fanguai.org.models import User

    with c.app.state.db.session() as session:
        return session.execute(
            select(User.public_id).where(User.username == "suzhou.police")
        ).scalar_one()


def _subscriber(c) -> str:  # type: ignore[no-untyped-def]
    """A demo subscriber in 姑苏区 (inside gusu.chief's jurisdiction)."""
    from sqlalchemy import select

    from fanguai.alerts.models import AlertSubscriber

    with c.app.state.db.session() as session:
        return (
            session.execute(
                select(AlertSubscriber.public_id)
                .where(AlertSubscriber.county_code == "320508")
                .order_by(AlertSubscriber.id)
            )
            .scalars()
            .first()
        )


def _endpoint(c) -> str:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from fanguai.alerts.models import AlertEndpoint

    with c.app.state.db.session() as session:
        return (
            session.execute(select(AlertEndpoint.public_id).where(AlertEndpoint.kind == "webhook"))
            .scalars()
            .first()
        )


EXAMPLES = {
    ("POST", "/api/cases"): lambda c, login: login("gusu.police").post(
        "/api/cases", json={**CASE, "last_seen_at": (utcnow() - timedelta(minutes=5)).isoformat()}
    ),
    ("POST", "/api/cases/{case_id}/alert"): lambda c, login: login("gusu.chief").post(
        f"/api/cases/{_case(login)}/alert"
    ),
    ("POST", "/api/cases/{case_id}/close"): lambda c, login: login("gusu.chief").post(
        f"/api/cases/{_case(login)}/close", json={"outcome": "found_alive", "reason": "已找到"}
    ),
    ("POST", "/api/alerts/endpoints"): lambda c, login: login("gusu.chief").post(
        "/api/alerts/endpoints",
        json={
            "name": "示例平台",
            "kind": "webhook",
            "url": "https://partner.example.cn/hook",
            "secret": "example-secret-0123456789",
        },
    ),
    ("POST", "/api/alerts/subscribers"): lambda c, login: login("gusu.chief").post(
        "/api/alerts/subscribers",
        json={
            "kind": "police_unit",
            "channel": "internal",
            "unit_code": "320508-GA",
            "lat": 31.32,
            "lng": 120.62,
        },
    ),
    ("POST", "/cases/new"): lambda c, login: _form(
        login,
        "gusu.police",
        "/cases/new",
        {
            "child_name": "表单童",
            "last_seen_place": "石路",
            "last_seen_lat": "31.31",
            "last_seen_lng": "120.60",
            "last_seen_at": "2026-01-05T10:00",
            "category": "lost",
        },
    ),
    ("POST", "/cases/{case_id}/publish"): lambda c, login: _form(
        login, "gusu.chief", f"/cases/{_case(login)}/publish"
    ),
    ("POST", "/cases/{case_id}/withdraw"): lambda c, login: _form(
        login, "gusu.chief", f"/cases/{_published(login)}/withdraw", {"reason": "误报"}
    ),
    ("POST", "/cases/{case_id}/close"): lambda c, login: _form(
        login,
        "gusu.chief",
        f"/cases/{_case(login)}/close",
        {"outcome": "other", "reason": "监护人撤回报案"},
    ),
    ("POST", "/cases/{case_id}/review"): lambda c, login: _form(
        login, "gusu.police", f"/cases/{_case(login)}/review", {"note": "走访未果"}
    ),
    ("POST", "/cases/{case_id}/leader"): lambda c, login: _form(
        login,
        "gusu.chief",
        f"/cases/{_case(login)}/leader",
        {"user_id": _leader_id(login("gusu.chief"))},
    ),
    ("POST", "/cases/{case_id}/photos"): lambda c, login: login("gusu.police").post(
        f"/cases/{_case(login)}/photos",
        files={"photo": ("x.png", b"not an image", "image/png")},
    ),
    ("POST", "/alerts/subscribers/new"): lambda c, login: _form(
        login,
        "gusu.chief",
        "/alerts/subscribers/new",
        {
            "kind": "volunteer",
            "channel": "sms",
            "address": "13800009999",
            "lat": "48.85",
            "lng": "2.35",
        },
    ),
    ("POST", "/alerts/subscribers/{subscriber_id}/deactivate"): lambda c, login: _form(
        login, "gusu.chief", f"/alerts/subscribers/{_subscriber(c)}/deactivate"
    ),
    ("POST", "/alerts/subscribers/{subscriber_id}/reactivate"): lambda c, login: _form(
        login, "gusu.chief", f"/alerts/subscribers/{_subscriber(c)}/reactivate"
    ),
    ("POST", "/public/optout/{token}"): lambda c, login: c.post(
        "/public/optout/not-a-token", follow_redirects=False
    ),
    ("POST", "/api/alerts/app-tokens/withdraw"): lambda c, login: c.post(
        "/api/alerts/app-tokens/withdraw",
        content=b'{"ref": "demo-push-0000"}',
        headers={
            "X-Fanguai-Endpoint": _endpoint(c),
            "X-Fanguai-Timestamp": "1",
            "X-Fanguai-Signature": "sha256=forged",
        },
    ),
}
