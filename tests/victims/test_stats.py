"""Figures: files opened by county and month, services given, and the de-identified export."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from fanguai.core.actions import action
from fanguai.core.actor import cli_actor
from fanguai.org.models import Unit
from fanguai.victims import service, stats
from fanguai.victims.models import VictimFile

YEAR = 2019  # a year no demo file uses


def _files(
    session,
    crypto,
    n: int,
    *,
    unit_code: str,
    sex: str,
    age: int,
    types: list[str],
    nationality: str = "CN",
    means=(),
) -> None:  # type: ignore[no-untyped-def]
    unit = session.execute(select(Unit).where(Unit.code == unit_code)).scalar_one()
    session.rollback()
    with action(session, cli_actor("test"), "test.victims"):
        for i in range(n):
            received = datetime(YEAR, 3, 1 + i % 27, 2, tzinfo=UTC)
            public_id = str(uuid.uuid4())
            file = VictimFile(
                public_id=public_id,
                file_no=f"T-{public_id[:12]}",
                subject_id=f"victim:{uuid.uuid4()}",
                owner_unit_id=unit.id,
                county_code=unit.division_code,
                opened_month=received.astimezone(service.BEIJING).strftime("%Y-%m"),
                opened_at=received,
                received_at=received,
                status="closed",
                sex=sex,
                age_min=age,
                age_max=age,
                nationality=nationality,
            )
            profile = {"exploitation_types": types, "means_of_control": list(means), "timeline": []}
            file.exploitation = service.seal(
                crypto,
                file,
                table="victim_file",
                column="exploitation",
                row_id=public_id,
                value=json.dumps(profile),
            )
            session.add(file)


def test_files_opened_are_counted_by_county_and_beijing_month(session, field_crypto) -> None:  # type: ignore[no-untyped-def]
    _files(session, field_crypto, 3, unit_code="320508-MZ", sex="female", age=14, types=["sexual"])
    _files(session, field_crypto, 2, unit_code="320506-MZ", sex="male", age=9, types=["begging"])
    rows = stats.counts_by_county_month(session, since=datetime(YEAR, 1, 1, tzinfo=UTC))
    mine = {(c, m): n for c, m, n in rows if m.startswith(str(YEAR))}
    assert mine == {("320508", f"{YEAR}-03"): 3, ("320506", f"{YEAR}-03"): 2}
    later = stats.counts_by_county_month(session, since=datetime(YEAR, 12, 31, tzinfo=UTC))
    assert not [r for r in later if r[1].startswith(str(YEAR))]


def test_a_file_opened_at_midnight_utc_counts_in_beijings_month(
    session, field_crypto, user
) -> None:  # type: ignore[no-untyped-def]
    from fanguai.org.models import User
    from fanguai.security.service import actor_for_user
    from fanguai.victims import actions
    from fanguai.victims.schemas import FileCreate

    who = actor_for_user(
        session.execute(select(User).where(User.username == "gusu.civil")).scalar_one()
    )
    now = datetime(YEAR, 4, 30, 17, 0, tzinfo=UTC)  # 1 May, 01:00 in Beijing
    actions.create_file(
        session,
        field_crypto,
        actor=who,
        data=FileCreate(received_at=now - timedelta(hours=1), age=20),
        now=now,
    )
    rows = stats.counts_by_county_month(session, since=now - timedelta(minutes=1))
    assert ("320508", f"{YEAR}-05", 1) in rows


def test_the_ctdc_export_leaves_out_cells_under_ten_people(user, session, field_crypto) -> None:  # type: ignore[no-untyped-def]
    _files(
        session,
        field_crypto,
        12,
        unit_code="320508-MZ",
        sex="female",
        age=15,
        types=["sexual"],
        means=["threats"],
    )
    _files(
        session,
        field_crypto,
        9,
        unit_code="320508-MZ",
        sex="male",
        age=10,
        types=["begging", "labour"],
    )
    _files(
        session,
        field_crypto,
        1,
        unit_code="320100-MZ",
        sex="female",
        age=30,
        types=["organ_removal"],
        nationality="MM",
    )
    office = user("jiangsu.office")
    body = office.get("/api/victims/stats/ctdc", params={"year": YEAR}).json()
    assert body["threshold"] == 10
    assert body["victims"] == [
        {
            "yearOfRegistration": YEAR,
            "gender": "Female",
            "ageBroad": "9--17",
            "majorityStatus": "Minor",
            "citizenship": "CN",
            "typeOfExploitConcatenated": "Sexual exploitation",
            "count": 12,
        }
    ]
    assert body["suppressed_cells"] >= 2
    assert {
        "yearOfRegistration": YEAR,
        "meansOfControl": "meansOfControlThreats",
        "count": 12,
    } in body["means_of_control"]
    # Nine and one stay hidden everywhere, and no total gives them away.
    text = json.dumps(body)
    assert "Organ removal" not in text and "Forced begging" not in text and "MM" not in text
    assert "total" not in body
    csv_text = office.get("/api/victims/stats/ctdc.csv", params={"year": YEAR}).text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [r["count"] for r in rows] == ["12"] and rows[0]["gender"] == "Female"


def test_the_export_is_audited_with_its_size_and_digest(user, session) -> None:  # type: ignore[no-untyped-def]
    from fanguai.audit.models import AuditEvent

    user("jiangsu.office").get("/api/victims/stats/ctdc.csv")
    event = (
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "victims.export")
            .order_by(AuditEvent.seq.desc())
        )
        .scalars()
        .first()
    )
    assert event.actor_name == "jiangsu.office" and len(event.detail["sm3"]) == 64


def test_only_the_office_exports_and_a_city_office_would_see_its_city_only(
    user, session, field_crypto
) -> None:  # type: ignore[no-untyped-def]
    for persona in ("gusu.civil", "gusu.chief", "gusu.edu", "auditor"):
        assert user(persona).get("/api/victims/stats/ctdc").status_code == 403
    _files(session, field_crypto, 10, unit_code="320100-MZ", sex="male", age=40, types=["labour"])
    from fanguai.core.actor import Actor

    suzhou_office = Actor(
        kind="user",
        name="t",
        division_code="320500",
        level="city",
        department="joint_conference",
        permissions=frozenset({"victims.stats"}),
    )
    export = stats.ctdc_export(session, field_crypto, actor=suzhou_office, year=YEAR)
    assert all(r["typeOfExploitConcatenated"] != "Forced labour" for r in export.victims)
    province = user("jiangsu.office").get("/api/victims/stats/ctdc", params={"year": YEAR}).json()
    labour = [r for r in province["victims"] if r["typeOfExploitConcatenated"] == "Forced labour"]
    assert [r["count"] for r in labour] == [10]


def test_age_bands_follow_ctdc() -> None:
    assert stats.age_broad(8, 8) == "0--8" and stats.age_broad(9, 17) == "9--17"
    assert stats.age_broad(17, 18) == "Unknown" and stats.age_broad(None, 3) == "Unknown"
    assert stats.age_broad(60, 60) == "48+"
    assert stats.majority_status(15, 17) == "Minor" and stats.majority_status(17, 18) == "Unknown"
    assert stats.exploitation_label(["labour", "sexual"]) == "Sexual exploitation; Forced labour"
    assert stats.exploitation_label([]) == "Not specified"


def test_served_counts_group_services_by_county_and_kind(session, user) -> None:  # type: ignore[no-untyped-def]
    rows = stats.served_counts(session)
    by = {(c, k): n for c, k, n in rows}
    # The demo placed one child in school and gave shelter in Gusu.
    assert by[("320508", "schooling")] >= 1 and by[("320508", "shelter")] >= 1
