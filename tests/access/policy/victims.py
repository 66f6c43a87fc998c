"""Targets for the victim-file operations: a minor's file kept by civil affairs in Gusu (own
county of most personas), Wuzhong (the sibling county) and Xuanwu, Nanjing (another city)."""

from __future__ import annotations

from sqlalchemy import select

from fanguai.org.models import Unit
from fanguai.victims.models import VictimFile


def targets(session) -> dict[str, dict[str, dict]]:  # type: ignore[no-untyped-def]
    out: dict[str, dict] = {}
    for code in ("320508-MZ", "320506-MZ", "320102-MZ"):
        unit = session.execute(select(Unit).where(Unit.code == code)).scalar_one()
        file = (
            session.execute(
                select(VictimFile)
                .where(
                    VictimFile.owner_unit_id == unit.id,
                    VictimFile.status == "open",
                    VictimFile.age_max < 18,
                )
                .order_by(VictimFile.id)
            )
            .scalars()
            .first()
        )
        assert file is not None, f"the demo has no open minor's file at {code}"
        out[f"file@{code}"] = {
            "id": file.public_id,
            "division": unit.division_code,
            "department": unit.department,
            "secret": file.file_no,
        }
    return {"victim_file": out}
