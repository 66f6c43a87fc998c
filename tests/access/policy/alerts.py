"""Targets for the alerts module's placeholders: the demo's cases (an open one in 姑苏区 with
its alert out, a closed one in 玄武区), the open case's photo, its public alert, a demo
volunteer's opt-out link, and active demo subscribers in 姑苏区, its sibling 吴中区, 玄武区 of
another city, and the partner platform (no point: the province's)."""

from __future__ import annotations

from sqlalchemy import select

from fanguai.alerts.models import Alert, AlertSubscriber, CasePhoto, MissingCase
from fanguai.alerts.optout import make_token
from fanguai.db import utcnow

# The test app's platform secret (tests/conftest.py, fixture ``settings``): opt-out links are
# signed with it.
TEST_SECRET = "test-secret-key-0123456789abcdefghijkl"  # noqa: S105 - the tests' own


def _target(case: MissingCase, public_id: str) -> dict:
    unit = case.owner_unit
    return {
        "id": public_id,
        "division": unit.division_code,
        "department": unit.department,
        "secret": case.case_no,
    }


# The counties of the subscriber targets (own county, sibling county, another city).
SUBSCRIBER_COUNTIES = ("320508", "320506", "320102")


def _subscriber_target(sub: AlertSubscriber) -> dict:
    return {
        "id": sub.public_id,
        # A subscriber without a county is the province's.
        "division": sub.county_code or "320000",
        "department": "police",
        "secret": sub.external_ref or sub.address_hint or sub.label,
    }


def _subscribers(session) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    out: dict[str, dict] = {}
    active = (AlertSubscriber.active.is_(True), AlertSubscriber.opted_out_at.is_(None))
    for county in SUBSCRIBER_COUNTIES:
        sub = (
            session.execute(
                select(AlertSubscriber)
                .where(
                    *active,
                    AlertSubscriber.county_code == county,
                    AlertSubscriber.kind == "app_user",
                )
                .order_by(AlertSubscriber.id)
            )
            .scalars()
            .first()
        )
        assert sub is not None, f"the demo has no active app user in {county}"
        out[f"subscriber@{county}"] = _subscriber_target(sub)
    partner = (
        session.execute(
            select(AlertSubscriber)
            .where(*active, AlertSubscriber.kind == "partner")
            .order_by(AlertSubscriber.id)
        )
        .scalars()
        .first()
    )
    assert partner is not None, "the demo has no active partner platform"
    out["subscriber@partner"] = _subscriber_target(partner)
    return out


def targets(session) -> dict[str, dict[str, dict]]:  # type: ignore[no-untyped-def]
    cases = session.execute(select(MissingCase).order_by(MissingCase.id)).scalars().all()
    by_label = {f"{c.status}@{c.owner_unit.code}": c for c in cases}
    out: dict[str, dict[str, dict]] = {
        "missing_case": {},
        "alerted_case": {},
        "case_photo": {},
        "public_alert": {},
        "optout_token": {},
        "alert_subscriber": _subscribers(session),
    }
    volunteer = (
        session.execute(
            select(AlertSubscriber)
            .where(AlertSubscriber.kind == "volunteer", AlertSubscriber.opted_out_at.is_(None))
            .order_by(AlertSubscriber.id)
        )
        .scalars()
        .first()
    )
    if volunteer is not None:
        # Public: the page names nothing of the volunteer (its "secret" is the address hint).
        out["optout_token"]["volunteer"] = {
            "id": make_token(TEST_SECRET, volunteer.public_id, utcnow()),
            "division": "320000",
            "department": "police",
            "secret": volunteer.address_hint or volunteer.public_id,
        }
    for label, case in by_label.items():
        out["missing_case"][label] = _target(case, case.public_id)
        alert = session.execute(select(Alert).where(Alert.case_id == case.id)).scalar_one_or_none()
        if alert is not None and alert.status == "active":
            out["alerted_case"][label] = _target(case, case.public_id)
            # The public page is public: its "secret" is nothing of the family.
            out["public_alert"][label] = {
                **_target(case, alert.public_id),
                "secret": alert.public_id,
            }
        photo = (
            session.execute(select(CasePhoto).where(CasePhoto.case_id == case.id)).scalars().first()
        )
        if photo is not None:
            out["case_photo"][label] = _target(case, photo.public_id)
    return out
