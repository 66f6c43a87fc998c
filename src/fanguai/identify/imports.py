"""Reading a screening campaign's CSV of found persons (摸排名单): every row checked first.

The file is UTF-8 (a byte-order mark is fine) or GB18030 (spreadsheets saved on Chinese
Windows). The first line names the columns (``COLUMNS``; ``source``, ``found_at`` and
``county_code`` are required). Rows are numbered as a spreadsheet shows them: the header is
row 1. Any problem in any row rejects the whole file, naming each row and field, and nothing
is stored until the whole file is valid.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from pydantic import ValidationError

from fanguai.errors import InvalidInput
from fanguai.identify.models import SOURCES
from fanguai.identify.schemas import BEIJING, FoundCreate
from fanguai.identify.service import county_of

COLUMNS = (
    "source",
    "found_at",
    "county_code",
    "found_place",
    "found_by",
    "name",
    "sex",
    "birth_date",
    "age_min",
    "age_max",
    "description",
    "documents",
    "father_name",
    "mother_name",
    "home_place",
    "shelter_entered_at",
)
REQUIRED = ("source", "found_at", "county_code")
MAX_ROWS = 5000
MAX_REPORTED = 200
# Values as campaigns write them, in Chinese or as codes.
SOURCE_LABELS = {
    "人口普查": "census",
    "户籍": "household_registration",
    "户籍登记": "household_registration",
    "招生入学": "school_enrolment",
    "入学": "school_enrolment",
    "院外出生": "out_of_hospital_birth",
    "解救": "rescue",
    "救助站": "shelter_intake",
    "救助管理站": "shelter_intake",
    "流浪未成年人": "wandering_minor",
}
SEX_LABELS = {"男": "male", "女": "female", "未知": "unknown", "m": "male", "f": "female"}
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DATETIME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file: where (row, field) and what (code, English message)."""

    row: int
    field: str
    code: str
    message: str
    params: dict[str, str] = field(default_factory=dict)


class ImportRejected(InvalidInput):
    """The file was refused; ``problems`` lists each row and field (nothing was stored)."""

    def __init__(self, problems: list[Problem], more: int = 0) -> None:
        first = problems[0]
        super().__init__(
            f"{len(problems) + more} problem(s); first: row {first.row}, "
            f"{first.field}: {first.message}",
            field=first.field,
        )
        self.problems = problems
        self.more = more


class _Collector:
    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.count = 0

    def add(self, row: int, column: str, code: str, message: str, **params: str) -> None:
        self.count += 1
        if len(self.items) < MAX_REPORTED:
            self.items.append(Problem(row, column, code, message, dict(params)))

    def raise_if_any(self) -> None:
        if self.items:
            raise ImportRejected(self.items, more=self.count - len(self.items))


def decode(content: bytes) -> str:
    """The file's text: UTF-8 (with or without BOM), else GB18030."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return content.decode("gb18030")
        except UnicodeDecodeError:
            raise ImportRejected(
                [Problem(1, "file", "encoding", "the file is neither UTF-8 nor GB18030")]
            ) from None


def _parse_date(text: str) -> date:
    match = _DATE.match(text)
    if not match:
        raise ValueError("format")
    return date(int(match[1]), int(match[2]), int(match[3]))


def _parse_datetime(text: str) -> datetime:
    match = _DATETIME.match(text)
    if match:
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
        return datetime(y, mo, d, h, mi, s, tzinfo=BEIJING)
    return datetime.combine(_parse_date(text), time(0, 0), tzinfo=BEIJING)


def _date_value(problems: _Collector, row: int, column: str, text: str, today: date):  # type: ignore[no-untyped-def]
    parse = _parse_date if column == "birth_date" else _parse_datetime
    try:
        value = parse(text)
    except ValueError as exc:
        if str(exc) == "format":
            problems.add(
                row, column, "date_format", f"{text!r} is not YYYY-MM-DD[ HH:MM]", value=text
            )
        else:
            problems.add(row, column, "date_impossible", f"{text!r} is not a real date", value=text)
        return None
    day = value if isinstance(value, date) and not isinstance(value, datetime) else value.date()
    if day > today:
        problems.add(row, column, "date_future", f"{text} lies in the future", value=text)
        return None
    if day.year < 1900:
        problems.add(row, column, "date_range", f"{text} is before 1900", value=text)
        return None
    return value


def _int_value(problems: _Collector, row: int, column: str, text: str) -> int | None:
    if not text.isdigit() or int(text) > 120:
        problems.add(row, column, "age", f"{text!r} is not an age in years (0-120)", value=text)
        return None
    return int(text)


def _check_row(
    problems: _Collector, row: int, values: dict[str, str], today: date
) -> dict[str, object] | None:
    """The row's values as FoundCreate expects them, or None after adding its problems."""
    before = problems.count
    data: dict[str, object] = {}
    for column in REQUIRED:
        if not values.get(column):
            problems.add(row, column, "required", "is required")
    source = values.get("source", "")
    if source:
        code = SOURCE_LABELS.get(source, source)
        if code not in SOURCES:
            problems.add(row, "source", "choice", f"unknown source {source!r}", value=source)
        data["source"] = code
    county = values.get("county_code", "")
    if county:
        try:
            data["county_code"] = county_of(county).code
        except InvalidInput:
            problems.add(
                row, "county_code", "place_unknown", f"unknown place code {county!r}", value=county
            )
    sex = values.get("sex", "")
    if sex:
        code = SEX_LABELS.get(sex.lower(), sex)
        if code not in ("male", "female", "unknown"):
            problems.add(row, "sex", "choice", f"unknown sex {sex!r}", value=sex)
        data["sex"] = code
    for column in ("found_at", "shelter_entered_at", "birth_date"):
        if values.get(column):
            data[column] = _date_value(problems, row, column, values[column], today)
    for column in ("age_min", "age_max"):
        if values.get(column):
            data[column] = _int_value(problems, row, column, values[column])
    if problems.count > before:
        return None
    _check_order(problems, row, data)
    for column in (
        "found_place",
        "found_by",
        "name",
        "description",
        "documents",
        "father_name",
        "mother_name",
        "home_place",
    ):
        if values.get(column):
            data[column] = values[column]
    return data if problems.count == before else None


def _check_order(problems: _Collector, row: int, data: dict[str, object]) -> None:
    found_at = data.get("found_at")
    shelter = data.get("shelter_entered_at")
    born = data.get("birth_date")
    if isinstance(found_at, datetime) and isinstance(shelter, datetime) and shelter < found_at:
        problems.add(row, "shelter_entered_at", "order", "is before found_at")
    if isinstance(found_at, datetime) and isinstance(born, date) and born > found_at.date():
        problems.add(row, "birth_date", "order", "is after found_at")
    low, high = data.get("age_min"), data.get("age_max")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        problems.add(row, "age_min", "order", "is greater than age_max")


def _model(problems: _Collector, row: int, data: dict[str, object]) -> FoundCreate | None:
    try:
        return FoundCreate.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            column = str(error["loc"][0]) if error["loc"] else "row"
            problems.add(row, column, "invalid", error["msg"])
        return None


def _header(problems: _Collector, header: list[str]) -> list[str]:
    names = [h.strip() for h in header]
    for index, name in enumerate(names, start=1):
        if name not in COLUMNS:
            problems.add(1, name or f"column {index}", "column_unknown", f"unknown column {name!r}")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    for name in duplicates:
        problems.add(1, name, "column_twice", f"column {name!r} appears twice")
    for name in REQUIRED:
        if name not in names:
            problems.add(1, name, "column_missing", f"required column {name!r} is missing")
    problems.raise_if_any()
    return names


def parse_found_csv(content: bytes, *, today: date) -> list[FoundCreate]:
    """Every row as a ``FoundCreate``, or ``ImportRejected`` naming each bad row and field."""
    text = decode(content)
    if "\x00" in text:
        raise ImportRejected([Problem(1, "file", "binary", "the file contains NUL bytes")])
    problems = _Collector()
    reader = csv.reader(io.StringIO(text, newline=""))
    row = 0  # the last row read (the header is row 1)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise ImportRejected([Problem(1, "file", "empty", "the file is empty")])
        names = _header(problems, header)
        rows: list[FoundCreate] = []
        seen = 0
        row = 1
        for cells in reader:
            row += 1
            if not any(cell.strip() for cell in cells):
                continue  # blank lines are not rows
            seen += 1
            if seen > MAX_ROWS:
                problems.add(row, "file", "too_many_rows", f"more than {MAX_ROWS} rows")
                break
            if len(cells) != len(names):
                problems.add(
                    row,
                    "columns",
                    "column_count",
                    f"{len(cells)} values for {len(names)} columns",
                    got=str(len(cells)),
                    want=str(len(names)),
                )
                continue
            values = {n: c.strip() for n, c in zip(names, cells, strict=True)}
            data = _check_row(problems, row, values, today)
            model = _model(problems, row, data) if data is not None else None
            if model is not None:
                rows.append(model)
    except csv.Error as exc:
        problems.add(row + 1, "file", "csv", f"malformed CSV: {exc}")
    problems.raise_if_any()
    if not rows:
        raise ImportRejected([Problem(2, "file", "empty", "the file has no data rows")])
    return rows
