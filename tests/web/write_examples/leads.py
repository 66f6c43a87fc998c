"""Writing routes of the leads module, for the B5 sweep in tests/web/test_routes.py."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from fanguai.db import utcnow
from fanguai.leads import abuse
from fanguai.leads.models import Lead
from fanguai.org.models import Unit

SECRET = b"test-secret-key-0123456789abcdefghijkl"  # the tests' Settings (tests/conftest.py)
BODY = {"lead_type": "online", "description": "网上有人发布出售婴儿的信息", "county_code": "320508"}


def _proof() -> dict:
    challenge = abuse.issue_challenge(SECRET, now=utcnow() - timedelta(seconds=30), bits=4)
    return {"challenge": challenge.token, "nonce": abuse.solve(challenge.token, 4)}


def _waiting(c, status: str = "received") -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """A demo lead of the Gusu police in this state (not about a child missing now: opening a
    case from it is refused whether or not the case module is there)."""
    with c.app.state.db.session() as s:
        unit_id = s.execute(select(Unit.id).where(Unit.code == "320508-GA")).scalar_one()
        lead = (
            s.execute(
                select(Lead).where(
                    Lead.owner_unit_id == unit_id,
                    Lead.status == status,
                    Lead.lead_type != "missing_now",
                )
            )
            .scalars()
            .first()
        )
        return lead.public_id, lead.version


def _key() -> dict:
    return {"Idempotency-Key": str(uuid.uuid4())}


def _public(c, login):  # type: ignore[no-untyped-def]
    return c.post("/api/leads/public", json={**BODY, **_proof()}, headers=_key())


def _status(c, login):  # type: ignore[no-untyped-def]
    return c.post("/api/leads/status", json={"tracking_code": "XS-2222-3333", "passphrase": "AAAA"})


def _report_form(c, login):  # type: ignore[no-untyped-def]
    return c.post("/report", data={**BODY, "csrf_token": "none"})


def _status_form(c, login):  # type: ignore[no-untyped-def]
    return c.post("/report/status", data={"tracking_code": "XS-2222-3333", "passphrase": "AAAA"})


def _api(action: str, body=None):  # type: ignore[no-untyped-def]
    def call(c, login):  # type: ignore[no-untyped-def]
        lead_id, version = _waiting(c, "acknowledged" if action == "outcome" else "received")
        return login("gusu.police").post(
            f"/api/leads/{lead_id}/{action}", json={"version": version, **(body or {})}
        )

    return call


def _form(action: str, data=None):  # type: ignore[no-untyped-def]
    def call(c, login):  # type: ignore[no-untyped-def]
        lead_id, version = _waiting(c, "acknowledged" if action == "outcome" else "received")
        return login("gusu.police").post(
            f"/leads/{lead_id}/{action}", data={"version": version, **(data or {})}
        )

    return call


TRANSFER = {"unit_code": "320508-MZ", "reason": "流浪儿童由民政救助"}
OUTCOME = {"outcome": "unsubstantiated", "note": "经核查不属实"}

EXAMPLES = {
    ("POST", "/api/leads/public"): _public,
    ("POST", "/api/leads/status"): _status,
    ("POST", "/report"): _report_form,
    ("POST", "/report/status"): _status_form,
    ("POST", "/api/leads"): lambda c, login: login("gusu.police").post(
        "/api/leads", json=BODY, headers=_key()
    ),
    ("POST", "/leads/new"): lambda c, login: login("gusu.police").post(
        "/leads/new", data={**BODY, "idempotency_key": str(uuid.uuid4())}
    ),
    ("POST", "/api/portal/reports"): lambda c, login: login("gusu.school").post(
        "/api/portal/reports",
        json={"category": "other", "description": "学生反映的情况需要核实"},
        headers=_key(),
    ),
    ("POST", "/portal"): lambda c, login: login("gusu.school").post(
        "/portal",
        data={
            "category": "other",
            "description": "学生反映的情况需要核实",
            "idempotency_key": "k" * 20,
        },
    ),
    ("POST", "/api/leads/{lead_id}/acknowledge"): _api("acknowledge"),
    ("POST", "/api/leads/{lead_id}/transfer"): _api("transfer", TRANSFER),
    ("POST", "/api/leads/{lead_id}/outcome"): _api("outcome", OUTCOME),
    ("POST", "/api/leads/{lead_id}/open-case"): _api("open-case"),
    ("POST", "/api/leads/{lead_id}/release"): _api("release"),
    ("POST", "/leads/{lead_id}/acknowledge"): _form("acknowledge"),
    ("POST", "/leads/{lead_id}/transfer"): _form(
        "transfer", {"department": "civil_affairs", "county_code": "320508", "reason": "流浪儿童"}
    ),
    ("POST", "/leads/{lead_id}/outcome"): _form("outcome", OUTCOME),
    ("POST", "/leads/{lead_id}/open-case"): _form("open-case"),
    ("POST", "/leads/{lead_id}/release"): _form("release"),
}
