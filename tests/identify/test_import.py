"""Screening-campaign CSV imports: every problem named by row and field, nothing half-imported."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from fanguai.errors import Conflict
from fanguai.identify import actions
from fanguai.identify.imports import ImportRejected, parse_found_csv
from fanguai.identify.models import FoundImport, FoundPerson
from fanguai.people.models import Person
from fanguai.tasks.models import Task
from tests.identify.conftest import MONDAY, as_actor

TODAY = date(2026, 3, 9)
HEADER = "source,found_at,county_code,name,sex,birth_date,age_min,age_max,father_name,description\n"
GOOD = (
    HEADER
    + "census,2026-02-01,320508,李小花,女,2018-04-05,,,李强,右耳后有痣\n"
    + "school_enrolment,2026-03-01 10:30,320506,,male,,6,8,,入学审核发现无出生证明\n"
    + "人口普查,2026-01-15,320205,王某,未知,,3,5,,\n"
)


def _problems(content: str) -> list[tuple[int, str, str]]:
    with pytest.raises(ImportRejected) as err:
        parse_found_csv(content.encode("utf-8"), today=TODAY)
    return [(p.row, p.field, p.code) for p in err.value.problems]


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_valid_file_reads_every_row() -> None:
    rows = parse_found_csv(GOOD.encode("utf-8"), today=TODAY)
    assert [r.source for r in rows] == ["census", "school_enrolment", "census"]
    assert rows[0].sex == "female" and rows[2].sex == "unknown" and rows[1].age_max == 8


def test_gb18030_and_a_byte_order_mark_are_read() -> None:
    assert len(parse_found_csv(GOOD.encode("gb18030"), today=TODAY)) == 3
    assert len(parse_found_csv(b"\xef\xbb\xbf" + GOOD.encode("utf-8"), today=TODAY)) == 3


@pytest.mark.parametrize(
    ("line", "field", "code"),
    [
        ("census,2026-02-30,320508,,,,,,,", "found_at", "date_impossible"),
        ("census,2026/02/03,320508,,,,,,,", "found_at", "date_format"),
        ("census,2026-04-01,320508,,,,,,,", "found_at", "date_future"),
        ("census,2026-02-01,329999,,,,,,,", "county_code", "place_unknown"),
        ("census,2026-02-01,110101,,,,,,,", "county_code", "place_unknown"),
        ("picnic,2026-02-01,320508,,,,,,,", "source", "choice"),
        ("census,2026-02-01,320508,,x,,,,,", "sex", "choice"),
        ("census,2026-02-01,320508,,,2019-02-29,,,,", "birth_date", "date_impossible"),
        ("census,2026-02-01,320508,,,2026-02-05,,,,", "birth_date", "order"),
        ("census,2026-02-01,320508,,,,9,4,,", "age_min", "order"),
        ("census,2026-02-01,320508,,,,-1,4,,", "age_min", "age"),
        (",2026-02-01,320508,,,,,,,", "source", "required"),
        ("census,2026-02-01,320508,,,,,", "columns", "column_count"),
    ],
)
def test_each_bad_value_is_named_by_row_and_field(line: str, field: str, code: str) -> None:
    content = GOOD + line + "\n"
    assert (5, field, code) in _problems(content)


def test_every_bad_row_is_reported_not_just_the_first() -> None:
    content = HEADER + "census,2026-02-30,320508,,,,,,,\n" + "census,2026-02-01,329999,,,,,,,\n"
    assert _problems(content) == [
        (2, "found_at", "date_impossible"),
        (3, "county_code", "place_unknown"),
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("source,found_at\ncensus,2026-02-01\n", (1, "county_code", "column_missing")),
        ("source,found_at,county_code,colour\n", (1, "colour", "column_unknown")),
        ("", (1, "file", "empty")),
        (HEADER, (2, "file", "empty")),
        (HEADER + 'census,"2026-02-01,320508\n', (2, "file", "csv")),
    ],
)
def test_malformed_files_are_refused_with_a_place(content: str, expected: tuple) -> None:
    problems = _problems(content)
    assert expected in problems or (
        expected[2] == "csv" and problems[0][2] in ("csv", "column_count")
    )


def test_a_rejected_import_stores_nothing(session, field_crypto) -> None:  # type: ignore[no-untyped-def]
    before = (
        _count(session, FoundPerson),
        _count(session, Person),
        _count(session, Task),
        _count(session, FoundImport),
    )
    bad = GOOD + "census,2026-02-30,320508,,,,,,,\n"
    with pytest.raises(ImportRejected):
        actions.import_found(
            session,
            field_crypto,
            actor=as_actor(session, "gusu.police"),
            content=bad.encode(),
            filename="bad.csv",
            now=MONDAY,
        )
    after = (
        _count(session, FoundPerson),
        _count(session, Person),
        _count(session, Task),
        _count(session, FoundImport),
    )
    assert after == before


def test_a_valid_import_registers_everyone_with_their_deadlines_once(session, field_crypto) -> None:  # type: ignore[no-untyped-def]
    police = as_actor(session, "gusu.police")
    batch = actions.import_found(
        session, field_crypto, actor=police, content=GOOD.encode(), filename="gusu.csv", now=MONDAY
    )
    rows = (
        session.execute(select(FoundPerson).where(FoundPerson.import_id == batch.id))
        .scalars()
        .all()
    )
    assert len(rows) == 3 == batch.rows
    assert {r.county_code for r in rows} == {"320508", "320506", "320205"}
    tasks = (
        session.execute(
            select(Task).where(
                Task.subject_id.in_([r.public_id for r in rows]),
                Task.kind == "identify.dna_sampling",
            )
        )
        .scalars()
        .all()
    )
    assert len(tasks) == 3
    with pytest.raises(Conflict) as err:
        actions.import_found(
            session,
            field_crypto,
            actor=police,
            content=GOOD.encode(),
            filename="again.csv",
            now=MONDAY,
        )
    assert err.value.field == "file"
