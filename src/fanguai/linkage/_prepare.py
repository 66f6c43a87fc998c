"""Clean records to the columns the comparisons read (one table per side)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import pyarrow as pa

from fanguai.linkage._names import given_name_keys, name_keys, syllable_string
from fanguai.linkage._records import CleanRecord

__all__ = ["FOUND", "MISSING", "SCHEMA", "feature_tokens", "to_table"]

MISSING = "missing"
FOUND = "found"
# Multiplies each side's event day so that ``l + r`` is the found day minus the missing day.
_SIGN = {MISSING: -1, FOUND: 1}

_STRING_LIST = pa.list_(pa.string())
SCHEMA = pa.schema(
    [
        ("unique_id", pa.string()),
        ("side_sign", pa.int32()),
        ("name", pa.string()),
        ("name_sorted", pa.string()),
        ("name_syllables", pa.string()),
        ("name_readings", _STRING_LIST),
        ("surname_pinyin", pa.string()),
        ("given_pinyin", pa.string()),
        ("given_first", pa.string()),
        ("given_last", pa.string()),
        ("father_name", pa.string()),
        ("father_given", pa.string()),
        ("father_given_syllables", pa.string()),
        ("father_given_readings", _STRING_LIST),
        ("mother_name", pa.string()),
        ("mother_syllables", pa.string()),
        ("mother_readings", _STRING_LIST),
        ("sex", pa.string()),
        ("birth_first", pa.int32()),
        ("birth_last", pa.int32()),
        ("birth_day", pa.string()),
        ("birth_year", pa.int32()),
        ("place_code", pa.string()),
        ("city_code", pa.string()),
        ("lat", pa.float64()),
        ("lng", pa.float64()),
        ("event_day", pa.int32()),
        ("feature_tokens", _STRING_LIST),
    ]
)

# Characters that carry no meaning in a description of marks (有一颗黑痣 ~ 黑痣).
_FEATURE_STOP = frozenset("有的一个处颗块片条道只和及与在了着是约长大小明显")
_FEATURE_SPLIT = re.compile(r"[^\w]+|_")


@lru_cache(maxsize=65536)
def feature_tokens(text: str) -> tuple[str, ...]:
    """Character pairs of the words of a description, after dropping filler characters."""
    folded = unicodedata.normalize("NFKC", text).lower()
    tokens: dict[str, None] = {}
    for run in _FEATURE_SPLIT.split(folded):
        kept = "".join(ch for ch in run if ch not in _FEATURE_STOP and not ch.isdigit())
        for i in range(len(kept) - 1):
            tokens[kept[i : i + 2]] = None
        if len(kept) == 1:
            tokens[kept] = None
    return tuple(tokens)


_NO_NAME: tuple[None, ...] = (None,) * 7
_NO_GIVEN: tuple[None, ...] = (None,) * 3


@lru_cache(maxsize=1 << 18)
def _name_values(name: str) -> tuple[object, ...]:
    """Syllable string, readings, sorted pinyin, surname pinyin, given pinyin, its first and
    last syllables (``None`` where there is none)."""
    if not name:
        return _NO_NAME
    keys = name_keys(name)
    given = keys.given_pinyin.split()
    return (
        syllable_string(keys),
        list(keys.readings),
        keys.sorted_pinyin,
        keys.surname_pinyin or None,
        keys.given_pinyin or None,
        given[0] if given else None,
        given[-1] if given else None,
    )


@lru_cache(maxsize=1 << 17)
def _given_values(name: str) -> tuple[object, ...]:
    """The given name of a full name, its syllable string and readings."""
    given = name_keys(name).given if name else ""
    if not given:
        return _NO_GIVEN
    keys = given_name_keys(given)
    return given, syllable_string(keys), list(keys.readings)


def _columns(values: list[tuple[object, ...]], names: Sequence[str]) -> dict[str, list[object]]:
    return {name: [v[i] for v in values] for i, name in enumerate(names)}


def _birth_columns(records: Sequence[CleanRecord]) -> dict[str, list[object]]:
    births = [r.birth for r in records]
    return {
        "birth_first": [b.first_day if b else None for b in births],
        "birth_last": [b.last_day if b else None for b in births],
        "birth_day": [b.first.isoformat() if b and b.precision == "day" else None for b in births],
        "birth_year": [b.first.year if b else None for b in births],
    }


def _place_columns(records: Sequence[CleanRecord]) -> dict[str, list[object]]:
    places = [r.county for r in records]
    return {
        "place_code": [p.code if p else None for p in places],
        "city_code": [p.city if p else None for p in places],
        "lat": [p.lat if p else None for p in places],
        "lng": [p.lng if p else None for p in places],
    }


def to_table(records: Sequence[CleanRecord], side: str) -> pa.Table:
    """The Arrow table of one side (``MISSING`` or ``FOUND``) with the columns of ``SCHEMA``."""
    child = [_name_values(r.name) for r in records]
    mother = [_name_values(r.mother_name)[:2] for r in records]
    father = [_given_values(r.father_name) for r in records]
    columns: dict[str, list[object]] = {
        "unique_id": [r.id for r in records],
        "side_sign": [_SIGN[side]] * len(records),
        "name": [r.name or None for r in records],
        **_columns(
            child,
            (
                "name_syllables",
                "name_readings",
                "name_sorted",
                "surname_pinyin",
                "given_pinyin",
                "given_first",
                "given_last",
            ),
        ),
        "father_name": [r.father_name or None for r in records],
        **_columns(father, ("father_given", "father_given_syllables", "father_given_readings")),
        "mother_name": [r.mother_name or None for r in records],
        **_columns(mother, ("mother_syllables", "mother_readings")),
        "sex": [r.sex for r in records],
        **_birth_columns(records),
        **_place_columns(records),
        "event_day": [r.event.middle_day if r.event else None for r in records],
        "feature_tokens": [list(feature_tokens(r.features)) or None for r in records],
    }
    return pa.table({f.name: columns[f.name] for f in SCHEMA}, schema=SCHEMA)
