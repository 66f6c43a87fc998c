"""Input validation: every problem names its row and field; CSV structure is checked first."""

from __future__ import annotations

from datetime import date

import pytest

from fanguai.linkage import FIELDS, InvalidRecords, Record, read_csv, validate_records

from .conftest import TODAY, child

HEADER = ",".join(FIELDS)


def problems_of(records, **kwargs):
    with pytest.raises(InvalidRecords) as info:
        validate_records(records, source="missing", today=TODAY, **kwargs)
    return [(p.row, p.field, p.problem) for p in info.value.problems]


def test_valid_records_come_back_normalised():
    [clean] = validate_records(
        [child("M1", " 张 三 ", sex="F", place_code="320103", features="左耳后  有痣")],
        source="missing",
        today=TODAY,
    )
    assert clean.name == "张三"
    assert clean.sex == "F"
    assert clean.county.code == "320104"  # 白下区 (retired 2013) is now part of 秦淮区
    assert clean.birth.precision == "day"
    assert clean.features == "左耳后 有痣"


def test_every_field_but_the_id_may_be_empty():
    [clean] = validate_records([Record("M1")], source="missing", today=TODAY)
    assert (clean.name, clean.sex, clean.birth, clean.county, clean.event) == (
        "",
        None,
        None,
        None,
        None,
    )


def test_placeholder_names_count_as_unknown():
    [clean] = validate_records([child("F1", "不详", father_name="无")], source="found", today=TODAY)
    assert clean.name == "" and clean.father_name == ""


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        ({"birth_date": "2015-02-30"}, "birth_date", "2015-02 has 28 days"),
        ({"event_date": "2020-13-01"}, "event_date", "no month 13"),
        ({"birth_date": "2027"}, "birth_date", "in the future"),
        ({"birth_date": "2021", "event_date": "2020-05-01"}, "birth_date", "after event_date"),
        ({"place_code": "999999"}, "place_code", "unknown place code"),
        ({"place_code": "110101"}, "place_code", "unknown place code"),  # Beijing: not Jiangsu
        ({"place_code": "320500"}, "place_code", "city 苏州市, not a county"),
        ({"place_code": "3205"}, "place_code", "not a 6-digit"),
        ({"sex": "male"}, "sex", "M, F or empty"),
        ({"father_name": "张3"}, "father_name", "not a letter"),
        ({"features": "痣\x07"}, "features", "control character"),
    ],
)
def test_a_bad_value_is_reported_with_its_row_and_field(fields, field, problem):
    records = [child("M1", "张三"), child("M2", "李四", **fields)]
    [(row, got_field, text)] = problems_of(records)
    assert (row, got_field) == (2, field)
    assert problem in text


def test_all_problems_are_reported_together_with_the_record_id():
    records = [child("M1", "张三", sex="X"), child("M2", "李四", birth_date="2015-02-30")]
    with pytest.raises(InvalidRecords) as info:
        validate_records(records, source="missing.csv", today=TODAY)
    message = str(info.value)
    assert "missing.csv row 1 (id 'M1'), field 'sex'" in message
    assert "missing.csv row 2 (id 'M2'), field 'birth_date'" in message


def test_duplicate_and_empty_ids_are_refused():
    records = [child("M1", "张三"), child("M1", "李四"), Record(id=" ")]
    assert problems_of(records) == [
        (2, "id", "duplicate id, first used in row 1"),
        (3, "id", "is empty; every record needs an id"),
    ]


def test_rows_can_be_given_as_line_numbers():
    assert problems_of([child("M1", "张三", sex="X")], rows=[7])[0][:2] == (7, "sex")


def test_values_of_the_wrong_type_are_refused():
    assert problems_of([Record("M1", name=42)])[0][1:] == ("name", "must be text, got int")


def test_dates_may_be_date_objects():
    [clean] = validate_records(
        [Record("M1", birth_date=date(2015, 3, 2), event_date=date(2020, 5, 1))],
        source="missing",
        today=TODAY,
    )
    assert clean.birth.first == date(2015, 3, 2)


def write(tmp_path, text, name="m.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_rows_are_read_with_their_line_numbers(tmp_path):
    path = write(
        tmp_path,
        "\ufeff"
        + HEADER
        + '\nM1,张三,M,2015,320508,2020-05-01,,,\n\nM2,李四,F,,,,,,"左耳后\n有痣"\nM3,王五,,,,,,,\n',
    )
    records, rows = read_csv(path)
    assert [r.id for r in records] == ["M1", "M2", "M3"]
    assert rows == [2, 4, 6]
    assert records[1].features == "左耳后\n有痣"


def test_columns_may_come_in_any_order(tmp_path):
    columns = list(reversed(FIELDS))
    path = write(
        tmp_path,
        ",".join(columns) + "\n" + ",".join("M1" if c == "id" else "" for c in columns) + "\n",
    )
    records, _ = read_csv(path)
    assert records == [
        Record(
            id="M1",
            name="",
            sex="",
            birth_date="",
            place_code="",
            event_date="",
            father_name="",
            mother_name="",
            features="",
        )
    ]


@pytest.mark.parametrize(
    ("text", "row", "field", "problem"),
    [
        ("id,name\nM1,张三\n", 1, "sex", "column is missing"),
        (HEADER + ",age\n", 1, "age", "unknown column"),
        (HEADER + "\nM1,张三,M\n", 2, "-", "expected 9 fields, got 3"),
        (HEADER + '\nM1,"张三,M,,,,,,\n', 2, "-", "malformed CSV"),
        ("", 1, "-", "no header"),
    ],
)
def test_malformed_csv_is_reported_with_row_and_field(tmp_path, text, row, field, problem):
    with pytest.raises(InvalidRecords) as info:
        read_csv(write(tmp_path, text))
    first = info.value.first
    assert (first.source, first.row, first.field) == ("m.csv", row, field)
    assert problem in first.problem


def test_text_that_is_not_utf8_is_reported_with_its_line(tmp_path):
    path = write(tmp_path, HEADER + "\nM1,张三,M,,,,,,\n", encoding="gbk")
    with pytest.raises(InvalidRecords) as info:
        read_csv(path)
    assert info.value.first.row == 2
    assert "not UTF-8" in info.value.first.problem
