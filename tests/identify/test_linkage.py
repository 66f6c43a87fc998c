"""Record linkage into the candidate list: lost children who kept their names are found by the
records; renamed children are not (DNA decides); the evidence explains itself field by field."""

from __future__ import annotations

from sqlalchemy import select

from fanguai.identify import actions, matching, service
from fanguai.identify.demo import FAMILIES, RECORDS_ONLY
from fanguai.identify.fields import person_field
from fanguai.identify.models import Candidate, FoundPerson, MissingRecord
from tests.identify.conftest import MONDAY, as_actor


def _found_named(session, crypto, name: str) -> FoundPerson:  # type: ignore[no-untyped-def]
    for found in session.execute(select(FoundPerson).order_by(FoundPerson.id)).scalars():
        if person_field(crypto, found.person, "name") == name:
            return found
    raise AssertionError(f"no demo found person named {name}")


def _record_named(session, crypto, name: str) -> MissingRecord:  # type: ignore[no-untyped-def]
    for record in session.execute(select(MissingRecord)).scalars():
        if person_field(crypto, record.person, "name") == name:
            return record
    raise AssertionError(f"no demo record named {name}")


def _records_candidate(session, found, record) -> Candidate | None:  # type: ignore[no-untyped-def]
    return session.execute(
        select(Candidate).where(
            Candidate.found_person_id == found.id,
            Candidate.side_type == "missing_record",
            Candidate.side_id == record.public_id,
        )
    ).scalar_one_or_none()


def test_a_lost_child_who_kept_the_name_is_found_by_the_records(session, field_crypto) -> None:  # type: ignore[no-untyped-def]
    name = RECORDS_ONLY[0]
    found, record = (
        _found_named(session, field_crypto, name),
        _record_named(session, field_crypto, name),
    )
    actions.run_linkage(
        session,
        field_crypto,
        actor=as_actor(session, "gusu.police"),
        found_id=found.public_id,
        now=MONDAY,
    )
    candidate = _records_candidate(session, found, record)
    assert candidate is not None and candidate.level == "lead"
    evidence = next(e for e in candidate.evidence if e.kind == "records")
    assert evidence.detail["match_probability"] >= matching.RECORDS_THRESHOLD
    fields = [x["field"] for x in evidence.detail["explanation"]]
    assert fields[0] == "prior" and "name" in fields and "birth_date" in fields
    total = sum(x["weight"] for x in evidence.detail["explanation"])
    assert abs(total - evidence.detail["match_weight"]) < 1e-6
    assert evidence.engine_version.startswith("fanguai.linkage ")


def test_a_renamed_child_is_not_found_by_the_records(session, field_crypto) -> None:  # type: ignore[no-untyped-def]
    renamed = next(f for f in FAMILIES if f.index == 2)  # 张小宝, found as 李乐
    found = _found_named(session, field_crypto, renamed.found["name"])
    record = _record_named(session, field_crypto, renamed.child)
    actions.run_linkage(
        session,
        field_crypto,
        actor=as_actor(session, "gusu.police"),
        found_id=found.public_id,
        now=MONDAY,
    )
    candidate = _records_candidate(session, found, record)
    assert candidate is None or all(e.kind != "records" for e in candidate.evidence)


def test_records_and_dna_of_one_family_meet_on_one_candidate(session, field_crypto) -> None:  # type: ignore[no-untyped-def]
    kept = next(f for f in FAMILIES if f.index == 4)  # 黄子涵, rescued under the same name
    found = _found_named(session, field_crypto, kept.child)
    record = _record_named(session, field_crypto, kept.child)
    actions.run_linkage(
        session,
        field_crypto,
        actor=as_actor(session, "gusu.police"),
        found_id=found.public_id,
        now=MONDAY,
    )
    candidate = _records_candidate(session, found, record)
    assert {e.kind for e in candidate.evidence} >= {"dna", "records"}
    ranked = service.candidates_of_found(
        session, actor=as_actor(session, "suzhou.dna"), found=found
    )
    assert ranked[0].id == candidate.id
    # Records evidence names the family already: the side is shown (no reveal needed).
    assert service.side_shown(candidate)


def test_a_refused_field_is_left_empty_and_the_record_still_compared(field_crypto) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from fanguai.linkage import Record

    record = Record(
        id="x",
        name="小宝2号",
        sex="M",
        birth_date="2018",
        place_code="320508",
        event_date="2026-01-01",
    )
    usable = matching._usable(record, date(2026, 3, 9))
    assert usable is not None and usable.name is None and usable.birth_date == "2018"


def test_a_county_runs_linkage_over_its_own_records_only(session, field_crypto) -> None:  # type: ignore[no-untyped-def]
    found_rows, missing = matching.linkage_inputs(
        session, field_crypto, actor=as_actor(session, "wuzhong.police"), found_id=None
    )
    ids = {r.id for r in found_rows}
    owners = {
        f.owner_unit.division_code
        for f in session.execute(
            select(FoundPerson).where(FoundPerson.public_id.in_(ids))
        ).scalars()
    }
    assert owners <= {"320506"}
    assert all(r.place_code for r in missing)
