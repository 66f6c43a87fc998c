"""Targets of the DNA store's operations: a demo specimen and match of the Suzhou city lab, and
a specimen of the Nanjing city lab registered for the test (rolled back with it)."""

from __future__ import annotations

from sqlalchemy import select

from fanguai.core.actor import Actor


def _nanjing_specimen(session):  # type: ignore[no-untyped-def]
    """Registered through a session of its own: an action on the test's session would roll
    back to that session's savepoint, taken before the persona logged in."""
    from fanguai.db import Database
    from fanguai.dna.service import register_specimen
    from fanguai.org.models import Unit
    from tests.dna.helpers import Family, as_profile

    unit = session.execute(select(Unit).where(Unit.code == "320100-GA")).scalar_one()
    lab = Actor(
        kind="user",
        name="nanjing.lab",
        unit_id=unit.id,
        unit_code=unit.code,
        unit_name=unit.name,
        department=unit.department,
        division_code=unit.division_code,
        level=unit.level,
        permissions=frozenset({"dna.import", "dna.read"}),
    )
    with Database.bound_to(session.connection()).session() as own:
        specimen = register_specimen(
            own,
            actor=lab,
            kind="unknown_child",
            profile=as_profile(Family(99).person()),
            kit="matrix kit",
            lab_ref="NJ-MATRIX-1",
        )
        return _target(specimen, specimen.lab_ref)


def _target(specimen, secret: str) -> dict:  # type: ignore[no-untyped-def]
    unit = specimen.owner_unit
    return {
        "id": specimen.public_id,
        "division": unit.division_code,
        "department": unit.department,
        "secret": secret,
    }


def targets(session) -> dict[str, dict[str, dict]]:  # type: ignore[no-untyped-def]
    from fanguai.dna.demo import DEMO_TRUTH
    from fanguai.dna.models import CandidateMatch, Specimen

    child = session.execute(
        select(Specimen).where(Specimen.lab_ref == DEMO_TRUTH[0].child)
    ).scalar_one()
    match = (
        session.execute(
            select(CandidateMatch)
            .where(CandidateMatch.child_id == child.id)
            .order_by(CandidateMatch.log10_lr.desc())
        )
        .scalars()
        .first()
    )
    nanjing = _nanjing_specimen(session)
    return {
        "specimen": {
            "specimen@320500-GA": _target(child, child.lab_ref),
            "specimen@320100-GA": nanjing,
        },
        "dnamatch": {
            "match@320500-GA": {**_target(child, child.lab_ref), "id": match.public_id},
        },
    }
