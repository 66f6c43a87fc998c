"""Targets of the identification operations: found persons, photos, long-missing records,
missing cases and candidates owned around the matrix personas (created here where the demo
has none, inside the test's rolled-back transaction)."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from fanguai.db import Database, utcnow
from fanguai.identify import actions
from fanguai.identify.models import Candidate, FoundPerson, MissingRecord
from fanguai.identify.schemas import FoundCreate, MissingRecordCreate
from fanguai.org.models import User
from fanguai.security.crypto_runtime import field_crypto
from fanguai.security.service import actor_for_user

# (persona registering, county where found / lost): own unit, sibling county, city, other city,
# another department in the same county.
OWNERS = (
    ("gusu.police", "320508"),
    ("gusu.civil", "320508"),
    ("wuzhong.police", "320506"),
    ("suzhou.police", "320505"),
    ("nanjing.police", "320102"),
)


def _actor(session, username: str):  # type: ignore[no-untyped-def]
    return actor_for_user(
        session.execute(select(User).where(User.username == username)).scalar_one()
    )


def _photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def _target(owner, public_id: str, secret: str) -> dict:  # type: ignore[no-untyped-def]
    return {
        "id": public_id,
        "division": owner.division_code,
        "department": owner.department,
        "secret": secret,
    }


def targets(session) -> dict[str, dict[str, dict]]:  # type: ignore[no-untyped-def]
    # Written through a session of its own on the test's connection: an action in the caller's
    # session would first roll back that session's open savepoint, and with it the sessions the
    # matrix logged in after it began.
    with Database.bound_to(session.connection()).session() as own:
        return _targets(own)


def _targets(session) -> dict[str, dict[str, dict]]:  # type: ignore[no-untyped-def]
    crypto = field_crypto()
    now = utcnow()
    found, photos, records = {}, {}, {}
    for username, county in OWNERS:
        actor = _actor(session, username)
        secret = f"矩阵标记{username}身上有蓝色书包"
        person = actions.register_found(
            session,
            crypto,
            actor=actor,
            data=FoundCreate(
                source="wandering_minor",
                found_at=now - timedelta(hours=5),
                county_code=county,
                sex="male",
                age_min=8,
                age_max=10,
                description=secret,
            ),
            now=now,
        )
        row = session.get(FoundPerson, person.id)
        found[f"found@{row.owner_unit.code}"] = _target(row.owner_unit, row.public_id, secret)
        photo = actions.add_photo(
            session, crypto, actor=actor, found_id=row.public_id, content=_photo()
        )
        photos[f"photo@{row.owner_unit.code}"] = _target(row.owner_unit, photo.public_id, secret)
        if username == "gusu.civil":
            continue  # civil affairs registers found persons; families register with the police
        record = actions.register_missing(
            session,
            crypto,
            actor=actor,
            data=MissingRecordCreate(
                county_code=county, sex="female", features=f"矩阵特征{username}"
            ),
            now=now,
        )
        row = session.get(MissingRecord, record.id)
        records[f"record@{row.owner_unit.code}"] = _target(
            row.owner_unit, row.public_id, f"矩阵特征{username}"
        )
    return {
        "found_photo": photos,
        "found": found,
        "missing_record": records,
        "identify_case": _cases(session),
        "candidate": _candidates(session),
    }


def _cases(session) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    from fanguai.alerts.models import MissingCase

    out = {}
    for case in session.execute(select(MissingCase).order_by(MissingCase.id)).scalars():
        label = f"case@{case.owner_unit.code}"
        if label not in out:
            out[label] = _target(case.owner_unit, case.public_id, case.case_no)
    return out


def _candidates(session) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """Demo candidates whose found person and family are owned in the same division."""
    out = {}
    undecided = select(Candidate).where(
        Candidate.side_division.is_not(None), Candidate.decision.is_(None)
    )
    for c in session.execute(undecided.order_by(Candidate.id)).scalars():
        owner = c.found_person.owner_unit
        if c.side_division != owner.division_code:
            continue
        label = f"candidate@{owner.code}"
        if label not in out:
            out[label] = _target(owner, c.public_id, c.side_id)
    assert out, "the identification demo must leave candidates inside one division"
    return out
