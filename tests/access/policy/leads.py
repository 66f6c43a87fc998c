"""Targets for the leads operations: demo leads waiting for acknowledgement, owned by units
around the matrix personas (own county police, sibling county, another city, another line)."""

from __future__ import annotations

from sqlalchemy import select

from fanguai.leads.models import Lead, LeadAttachment
from fanguai.org.models import Unit

OWNERS = ("320508-GA", "320506-GA", "320102-GA", "320508-MZ")


def _target(lead: Lead, unit: Unit, public_id: str) -> dict:
    return {
        "id": public_id,
        "division": unit.division_code,
        "department": unit.department,
        "secret": lead.tracking_code,
    }


def targets(session) -> dict[str, dict[str, dict]]:  # type: ignore[no-untyped-def]
    leads: dict[str, dict] = {}
    photos: dict[str, dict] = {}
    for code in OWNERS:
        unit = session.execute(select(Unit).where(Unit.code == code)).scalar_one()
        lead = (
            session.execute(
                select(Lead)
                .where(Lead.owner_unit_id == unit.id, Lead.status == "received", Lead.version == 1)
                .order_by(Lead.id)
            )
            .scalars()
            .first()
        )
        assert lead is not None, f"the demo has no waiting lead at {code}"
        leads[f"lead@{code}"] = _target(lead, unit, lead.public_id)
    for lead in session.execute(select(Lead).join(LeadAttachment)).scalars().unique():
        photo = (
            session.execute(
                select(LeadAttachment.public_id).where(LeadAttachment.lead_id == lead.id)
            )
            .scalars()
            .first()
        )
        photos[f"photo@{lead.owner_unit.code}"] = _target(lead, lead.owner_unit, photo)
    assert photos, "the demo has no lead with a photo"
    return {"lead": leads, "lead_photo": photos}
