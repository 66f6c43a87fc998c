"""Input records: the CSV contract, validation with row and field, normalised values."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from fanguai.linkage._dates import DateRange, parse_date
from fanguai.linkage._names import PLACEHOLDER_NAMES, normalise_name
from fanguai.linkage._places import County, county
from fanguai.linkage.errors import FieldProblem, InvalidRecords

__all__ = ["FIELDS", "CleanRecord", "Record", "read_csv", "validate_records"]

FIELDS = (
    "id",
    "name",
    "sex",
    "birth_date",
    "place_code",
    "event_date",
    "father_name",
    "mother_name",
    "features",
)
SEXES = ("M", "F")
MAX_ID_LENGTH = 64
MAX_NAME_LENGTH = 40
MAX_FEATURES_LENGTH = 2000
_NAME_FIELDS = ("name", "father_name", "mother_name")
_NAME_PUNCTUATION = frozenset("·-'")


@dataclass(frozen=True)
class Record:
    """One person as given: a missing child (失踪儿童) or a found person of unknown identity.

    Every field but ``id`` may be empty (``None`` or ``""``). ``birth_date`` and ``event_date``
    are ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY`` or a ``date``; an estimated age is written as the
    year (or month) of birth it implies. ``event_date`` is the day the child went missing, or
    the day the person was found. ``place_code`` is a Jiangsu county code (GB/T 2260; codes
    retired since 2000 are read as their successors). ``sex`` is ``M`` or ``F``.
    """

    id: str
    name: str | None = None
    sex: str | None = None
    birth_date: str | date | None = None
    place_code: str | None = None
    event_date: str | date | None = None
    father_name: str | None = None
    mother_name: str | None = None
    features: str | None = None


@dataclass(frozen=True)
class CleanRecord:
    """A validated record: normalised names (empty when unknown), parsed dates and county."""

    id: str
    name: str
    sex: str | None
    birth: DateRange | None
    county: County | None
    event: DateRange | None
    father_name: str
    mother_name: str
    features: str


class _Problems:
    """Collects problems of one source; raises them all (up to a limit) at the end."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[FieldProblem] = []
        self.count = 0

    def add(self, row: int, field: str, problem: str, record_id: str | None = None) -> None:
        self.count += 1
        if len(self.items) < InvalidRecords.MAX_REPORTED:
            self.items.append(FieldProblem(self.source, row, field, problem, record_id))

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidRecords(self.items, more=self.count - len(self.items))


def _control_character(text: str, allowed: str = "") -> str | None:
    if text.isprintable():  # no character of the categories below (the common case)
        return None
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") and ch not in allowed:
            return ch
    return None


def _text(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {type(value).__name__}")
    return value.strip()


def _clean_id(value: object) -> str:
    text = _text(value)
    if not text:
        raise ValueError("is empty; every record needs an id")
    if len(text) > MAX_ID_LENGTH:
        raise ValueError(f"is longer than {MAX_ID_LENGTH} characters")
    if _control_character(text):
        raise ValueError("contains a control character")
    return text


def _clean_name(value: object, today: date | None = None) -> str:
    return _clean_name_text(_text(value))


@lru_cache(maxsize=1 << 18)
def _clean_name_text(text: str) -> str:
    name = normalise_name(text)
    if name in PLACEHOLDER_NAMES:
        return ""
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"is longer than {MAX_NAME_LENGTH} characters")
    for ch in name:
        if not (unicodedata.category(ch).startswith("L") or ch in _NAME_PUNCTUATION):
            raise ValueError(f"contains {ch!r}, which is not a letter of a name")
    return name


def _clean_sex(value: object, today: date | None = None) -> str | None:
    text = _text(value)
    if text and text not in SEXES:
        raise ValueError(f"must be M, F or empty, got {text!r}")
    return text or None


def _clean_date(value: object, today: date | None = None) -> DateRange | None:
    if isinstance(value, date):
        parsed = parse_date(value)
    else:
        text = _text(value)
        if not text:
            return None
        parsed = parse_date(text)
    if today is not None and parsed.first > today:
        raise ValueError(f"{str(parsed)!r} is in the future")
    return parsed


def _clean_place(value: object, today: date | None = None) -> County | None:
    text = _text(value)
    return county(text) if text else None


def _clean_features(value: object, today: date | None = None) -> str:
    return _clean_features_text(_text(value))


@lru_cache(maxsize=1 << 16)
def _clean_features_text(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > MAX_FEATURES_LENGTH:
        raise ValueError(f"is longer than {MAX_FEATURES_LENGTH} characters")
    if _control_character(text):
        raise ValueError("contains a control character")
    return text


# Each takes the value and today's date (for the dates), returns the clean value or raises
# ValueError with the reason.
_CLEANERS: dict[str, Callable[[object, date | None], object]] = {
    "name": _clean_name,
    "sex": _clean_sex,
    "birth_date": _clean_date,
    "place_code": _clean_place,
    "event_date": _clean_date,
    "father_name": _clean_name,
    "mother_name": _clean_name,
    "features": _clean_features,
}


def _clean_one(record: Record, row: int, today: date, problems: _Problems) -> CleanRecord | None:
    """The clean record, or ``None`` after adding its problems."""
    before = problems.count
    record_id = None
    values: dict[str, object] = {}
    try:
        record_id = _clean_id(record.id)
    except ValueError as exc:
        problems.add(row, "id", str(exc))
    for field, clean in _CLEANERS.items():
        try:
            values[field] = clean(getattr(record, field), today)
        except ValueError as exc:
            problems.add(row, field, str(exc), record_id)
    birth, event = values.get("birth_date"), values.get("event_date")
    if isinstance(birth, DateRange) and isinstance(event, DateRange) and birth.first > event.last:
        problems.add(row, "birth_date", f"{birth} is after event_date {event}", record_id)
    if problems.count > before or record_id is None:
        return None
    return CleanRecord(
        id=record_id,
        name=values["name"],  # type: ignore[arg-type]
        sex=values["sex"],  # type: ignore[arg-type]
        birth=birth,  # type: ignore[arg-type]
        county=values["place_code"],  # type: ignore[arg-type]
        event=event,  # type: ignore[arg-type]
        father_name=values["father_name"],  # type: ignore[arg-type]
        mother_name=values["mother_name"],  # type: ignore[arg-type]
        features=values["features"],  # type: ignore[arg-type]
    )


def validate_records(
    records: Sequence[Record],
    *,
    source: str,
    rows: Sequence[int] | None = None,
    today: date | None = None,
) -> list[CleanRecord]:
    """Check and normalise every record; raise ``InvalidRecords`` naming each bad row and field.

    ``rows`` gives the row number to report for each record (CSV line numbers); by default the
    position in ``records`` starting at 1. Dates after ``today`` (default: the system date) are
    errors, so are duplicate ids and a birth date after the event date.
    """
    today = today or date.today()
    problems = _Problems(source)
    clean: list[CleanRecord] = []
    first_row_of: dict[str, int] = {}
    for index, record in enumerate(records):
        row = rows[index] if rows is not None else index + 1
        if not isinstance(record, Record):
            problems.add(row, "id", f"is not a Record but {type(record).__name__}")
            continue
        result = _clean_one(record, row, today, problems)
        if result is None:
            continue
        if result.id in first_row_of:
            problems.add(
                row, "id", f"duplicate id, first used in row {first_row_of[result.id]}", result.id
            )
            continue
        first_row_of[result.id] = row
        clean.append(result)
    problems.raise_if_any()
    return clean


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidRecords(
            [FieldProblem(source, line, "-", f"is not UTF-8 text (byte {exc.start})")]
        ) from None


def _rows(text: str, source: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    while True:
        try:
            fields_ = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InvalidRecords(
                [FieldProblem(source, reader.line_num, "-", f"malformed CSV ({exc})")]
            ) from None
        yield start, fields_
        start = reader.line_num + 1


def _check_header(header: list[str], source: str) -> None:
    names = [h.strip() for h in header]
    problems = _Problems(source)
    for column in FIELDS:
        if column not in names:
            problems.add(1, column, "column is missing from the header")
    for column in names:
        if column not in FIELDS:
            problems.add(1, column or "-", "unknown column")
        elif names.count(column) > 1:
            problems.add(1, column, "column appears more than once")
            break
    problems.raise_if_any()


def read_csv(path: Path | str, *, source: str | None = None) -> tuple[list[Record], list[int]]:
    """Read a CSV file with the columns of ``FIELDS`` (any order); records and their rows.

    Structural errors (encoding, quoting, header, field counts) raise ``InvalidRecords``;
    values are checked by ``validate_records``. Empty lines are skipped.
    """
    path = Path(path)
    source = source or path.name
    text = _decode(path.read_bytes(), source)
    rows = _rows(text, source)
    header = next((fields_ for _, fields_ in rows if fields_), None)
    if header is None:
        raise InvalidRecords([FieldProblem(source, 1, "-", "the file has no header row")])
    _check_header(header, source)
    order = [h.strip() for h in header]
    problems = _Problems(source)
    records: list[Record] = []
    numbers: list[int] = []
    for row, values in rows:
        if not values or values == [""]:
            continue
        if len(values) != len(order):
            problems.add(row, "-", f"expected {len(order)} fields, got {len(values)}")
            continue
        records.append(Record(**dict(zip(order, values, strict=True))))
        numbers.append(row)
    problems.raise_if_any()
    return records, numbers
