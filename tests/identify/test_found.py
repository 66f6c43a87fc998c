"""Found persons: registration, deadlines (tasks), scope, state changes, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from fanguai.audit.models import AuditEvent
from fanguai.errors import Conflict, Forbidden, InvalidInput, NotFound
from fanguai.identify import actions, deadlines, service
from fanguai.identify.calendar import BEIJING
from fanguai.identify.models import FoundPerson
from fanguai.people.models import Person
from fanguai.tasks.models import Task
from fanguai.tasks.service import tasks_for_subject
from fanguai.worker import run_once
from tests.identify.conftest import MONDAY, as_actor, found_data


def _tasks(session, found) -> dict[str, Task]:  # type: ignore[no-untyped-def]
    return {t.kind: t for t in tasks_for_subject(session, "found_person", found.public_id)}


def test_a_shelter_intake_opens_the_search_notice_and_sampling_deadlines(register, session) -> None:  # type: ignore[no-untyped-def]
    found = register("gusu.civil", shelter_entered_at=MONDAY - timedelta(hours=1))
    tasks = _tasks(session, found)
    notice, sampling = tasks[deadlines.SEARCH_NOTICE], tasks[deadlines.DNA_SAMPLING]
    assert notice.owner_unit.code == "320508-MZ"
    assert notice.due_at == (MONDAY + timedelta(hours=23)).astimezone(UTC)
    # Seven working days after Monday 9 March 2026 (8:00 entry): Tue 10 .. Wed 18, end of day.
    assert sampling.owner_unit.code == "320508-GA"
    assert sampling.due_at == datetime(2026, 3, 19, tzinfo=BEIJING).astimezone(UTC)


def test_a_census_find_has_no_shelter_and_only_the_sampling_deadline(register, session) -> None:  # type: ignore[no-untyped-def]
    found = register("gusu.police", source="census", county_code="320506")
    tasks = _tasks(session, found)
    assert set(tasks) == {deadlines.DNA_SAMPLING}
    # The police of the county where the child was found (Wuzhong) take the sample.
    assert tasks[deadlines.DNA_SAMPLING].owner_unit.code == "320506-GA"


def test_the_identity_lives_encrypted_in_the_people_table(register, session, field_crypto) -> None:  # type: ignore[no-untyped-def]
    found = register()
    person = session.get(Person, found.person_id)
    assert person.kind == "unidentified_child" and person.age_min == 5 and person.age_max == 7
    assert person.name.startswith("fg1:") and found.description.startswith("fg1:")
    view = service.found_detail(session, field_crypto, found, now=MONDAY)
    assert view.name == "小*" and view.claims["father_name"] == "张**"
    assert view.description == "身穿红色外套，左手腕有胎记" and view.age == "5–7"


def test_a_rescued_child_is_registered_as_a_victim(register, session) -> None:  # type: ignore[no-untyped-def]
    found = register("gusu.police", source="rescue", shelter_entered_at=None)
    assert session.get(Person, found.person_id).kind == "victim"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"county_code": "999999"}, "county_code"),
        ({"county_code": "320500"}, "county_code"),  # a city, not a county
        ({"found_at": MONDAY + timedelta(days=2)}, "found_at"),
        ({"birth_date": "2026-03-09", "found_at": MONDAY - timedelta(days=3)}, "birth_date"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(register, session, overrides, field) -> None:  # type: ignore[no-untyped-def]
    before = session.execute(select(FoundPerson.id)).all()
    with pytest.raises(InvalidInput) as err:
        register(**overrides)
    assert err.value.field == field
    assert session.execute(select(FoundPerson.id)).all() == before


def test_a_retired_county_code_is_stored_as_its_successor(register) -> None:  # type: ignore[no-untyped-def]
    # 320503 (平江区) and 320504 (沧浪区) merged into 姑苏区 (320508) in 2012.
    assert register(county_code="320503").county_code == "320508"


def test_registering_needs_found_manage(register, session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Forbidden):
        register("suzhou.dna")
    denied = (
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "identify.found.register")
            .order_by(AuditEvent.seq.desc())
        )
        .scalars()
        .first()
    )
    assert denied.outcome == "denied"


def test_records_are_shared_across_lines_inside_the_jurisdiction_only(register, session) -> None:  # type: ignore[no-untyped-def]
    found = register("gusu.civil")
    for username in ("gusu.police", "gusu.chief", "suzhou.dna", "suzhou.police"):
        assert service.get_found_for(
            session, actor=as_actor(session, username), public_id=found.public_id
        )
    for username in ("wuzhong.police", "nanjing.police"):
        with pytest.raises(NotFound):
            service.get_found_for(
                session, actor=as_actor(session, username), public_id=found.public_id
            )
    with pytest.raises(Forbidden):
        service.get_found_for(
            session, actor=as_actor(session, "gusu.edu"), public_id=found.public_id
        )


def test_lists_count_exactly_the_records_in_scope(register, session, field_crypto) -> None:  # type: ignore[no-untyped-def]
    mine = {register("gusu.civil").public_id, register("gusu.police").public_id}
    register("wuzhong.police", county_code="320506")
    page = service.list_found(
        session, field_crypto, actor=as_actor(session, "gusu.police"), now=MONDAY, page_size=500
    )
    ids = {f.id for f in page.items}
    assert mine <= ids and page.total == len(ids)
    assert all("姑苏区" in f.owner_unit for f in page.items)


def test_a_late_sampling_task_is_escalated_to_the_city_police(register, session, db) -> None:  # type: ignore[no-untyped-def]
    found = register()
    sampling = _tasks(session, found)[deadlines.DNA_SAMPLING]
    run_once(db, sampling.due_at + timedelta(minutes=1), only={"tasks.sweep"})
    session.expire_all()
    sampling = _tasks(session, found)[deadlines.DNA_SAMPLING]
    assert sampling.escalated_at is not None and sampling.escalated_to.code == "320500-GA"
    overdue = service.list_found(
        session,
        __import__("fanguai.security.crypto_runtime", fromlist=["x"]).field_crypto(),
        actor=as_actor(session, "gusu.police"),
        overdue=True,
        now=sampling.due_at + timedelta(minutes=1),
    )
    assert found.public_id in {f.id for f in overdue.items}


def test_the_search_notice_and_the_sample_close_their_deadlines(register, session) -> None:  # type: ignore[no-untyped-def]
    found = register()
    civil, police = as_actor(session, "gusu.civil"), as_actor(session, "gusu.police")
    actions.record_search_notice(
        session,
        actor=civil,
        found_id=found.public_id,
        reference="全国救助寻亲网 2026-0309-01",
        now=MONDAY,
    )
    actions.record_sample(
        session, actor=police, found_id=found.public_id, sample_ref="GS-2026-001", now=MONDAY
    )
    session.expire_all()
    tasks = _tasks(session, found)
    assert {t.status for t in tasks.values()} == {"done"}
    assert session.get(FoundPerson, found.id).status == "sampled"
    with pytest.raises(Conflict):
        actions.record_sample(
            session, actor=police, found_id=found.public_id, sample_ref="GS-2", now=MONDAY
        )


def test_a_sample_cannot_be_dated_in_the_future(register, session) -> None:  # type: ignore[no-untyped-def]
    found = register()
    with pytest.raises(InvalidInput) as err:
        actions.record_sample(
            session,
            actor=as_actor(session, "gusu.police"),
            found_id=found.public_id,
            sample_ref="GS-1",
            taken_at=MONDAY + timedelta(days=1),
            now=MONDAY,
        )
    assert err.value.field == "taken_at"


def test_closing_cancels_the_open_deadlines(register, session) -> None:  # type: ignore[no-untyped-def]
    found = register()
    actions.close_found(
        session,
        actor=as_actor(session, "gusu.civil"),
        found_id=found.public_id,
        reason="经核实为本地走失儿童，已由家属领回",
        now=MONDAY,
    )
    session.expire_all()
    assert {t.status for t in _tasks(session, found).values()} == {"cancelled"}
    with pytest.raises(Conflict):
        actions.close_found(
            session,
            actor=as_actor(session, "gusu.civil"),
            found_id=found.public_id,
            reason="再次关闭",
            now=MONDAY,
        )


def test_photos_are_reencoded_without_exif(register, session, field_crypto) -> None:  # type: ignore[no-untyped-def]
    import base64
    import io

    from PIL import Image

    from fanguai.identify.fields import sealer_for
    from fanguai.identify.models import FoundPhoto

    image = Image.new("RGB", (40, 30), (200, 10, 10))
    exif = Image.Exif()
    exif[0x010F] = "SENTINEL-CAMERA-MAKER"  # Make
    raw = io.BytesIO()
    image.save(raw, format="JPEG", exif=exif)
    assert b"SENTINEL-CAMERA-MAKER" in raw.getvalue()
    found = register()
    photo = actions.add_photo(
        session,
        field_crypto,
        actor=as_actor(session, "gusu.civil"),
        found_id=found.public_id,
        content=raw.getvalue(),
    )
    stored = session.get(FoundPhoto, photo.id)
    plain = base64.b64decode(
        sealer_for(field_crypto, found.person, "found_photo", stored.public_id).open(
            "content", stored.content
        )
    )
    assert plain.startswith(b"\xff\xd8") and b"SENTINEL-CAMERA-MAKER" not in plain
    with pytest.raises(InvalidInput) as err:
        actions.add_photo(
            session,
            field_crypto,
            actor=as_actor(session, "gusu.civil"),
            found_id=found.public_id,
            content=b"GIF89a not an image",
        )
    assert err.value.field == "photo"


def test_schema_refuses_a_shelter_entry_before_the_find() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        found_data(shelter_entered_at=MONDAY - timedelta(days=5))
