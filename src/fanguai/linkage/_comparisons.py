"""The comparisons of the model: one per field, levels from most to least similar.

Conditions are written once, in DuckDB's SQL, over the columns of ``_prepare.SCHEMA``; Splink
translates them for Spark (``CustomLevel(base_dialect_str="duckdb")``) or builds them itself
(array intersection size, distance in km); list overlap is written for each engine. Labels are
part of the model: a saved model only loads where the fields and labels are the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import splink.comparison_level_library as cll
from splink.internals.comparison_level_creator import ComparisonLevelCreator

__all__ = ["FIELDS", "Level", "Field", "comparison_fields"]


@dataclass(frozen=True)
class Level:
    """One comparison level: a label and how to build its Splink level."""

    label: str
    build: Callable[[], ComparisonLevelCreator]
    is_null: bool = False


@dataclass(frozen=True)
class Field:
    """A compared field: its name in explanations and its levels."""

    name: str
    description: str
    levels: tuple[Level, ...]


def _sql(condition: str) -> Callable[[], ComparisonLevelCreator]:
    return lambda: cll.CustomLevel(condition, base_dialect_str="duckdb")


# Whether two lists share an element: the one array function whose name differs between the
# engines and that sqlglot does not translate correctly. Faster than Splink's intersection size.
_OVERLAP = {"duckdb": "list_has_any", "spark": "arrays_overlap"}


def _overlap(column: str, dialect: str) -> Callable[[], ComparisonLevelCreator]:
    condition = f"{_OVERLAP[dialect]}({column}_l, {column}_r)"
    return lambda: cll.CustomLevel(condition)


def _null(*columns: str) -> Level:
    condition = " OR ".join(f"{c}_l IS NULL OR {c}_r IS NULL" for c in columns)
    return Level("missing", lambda: cll.CustomLevel(condition, base_dialect_str="duckdb"), True)


def _else(label: str) -> Level:
    return Level(label, cll.ElseLevel)


def _name_field(dialect: str) -> Field:
    syl_l, syl_r = "name_syllables_l", "name_syllables_r"
    return Field(
        "name",
        "the child's name: characters, pinyin (heteronyms), order and edit distance",
        (
            _null("name"),
            Level("exact", lambda: cll.ExactMatchLevel("name", term_frequency_adjustments=True)),
            Level("same pinyin", _overlap("name_readings", dialect)),
            Level("same syllables in another order", _sql("name_sorted_l = name_sorted_r")),
            Level(
                "one syllable more or less",
                _sql(f"levenshtein({syl_l}, {syl_r}) = 1 AND length({syl_l}) <> length({syl_r})"),
            ),
            Level("one syllable differs", _sql(f"levenshtein({syl_l}, {syl_r}) = 1")),
            _else("different"),
        ),
    )


def _father_field(dialect: str) -> Field:
    """Given names only: a father's surname is, as a rule, the child's, compared with it."""
    syl_l, syl_r = "father_given_syllables_l", "father_given_syllables_r"
    return Field(
        "father_name",
        "the father's given name (his surname is as a rule the child's)",
        (
            _null("father_given"),
            Level("same given name", _sql("father_given_l = father_given_r")),
            Level("same given name pinyin", _overlap("father_given_readings", dialect)),
            Level(
                "given name one syllable apart",
                _sql(
                    f"levenshtein({syl_l}, {syl_r}) <= 1 "
                    f"AND greatest(length({syl_l}), length({syl_r})) >= 2"
                ),
            ),
            _else("different"),
        ),
    )


def _mother_field(dialect: str) -> Field:
    syl_l, syl_r = "mother_syllables_l", "mother_syllables_r"
    return Field(
        "mother_name",
        "the mother's name",
        (
            _null("mother_name"),
            Level("exact", _sql("mother_name_l = mother_name_r")),
            Level("same pinyin", _overlap("mother_readings", dialect)),
            Level(
                "one syllable apart",
                _sql(
                    f"levenshtein({syl_l}, {syl_r}) <= 1 "
                    f"AND greatest(length({syl_l}), length({syl_r})) >= 3"
                ),
            ),
            _else("different"),
        ),
    )


# Days between two date ranges: 0 when they overlap.
_BIRTH_GAP = "greatest(birth_first_l - birth_last_r, birth_first_r - birth_last_l)"
_BIRTH_SPAN = "greatest(birth_last_l - birth_first_l, birth_last_r - birth_first_r)"


def _birth_field() -> Field:
    return Field(
        "birth_date",
        "birth dates known to the day, month or year (estimated ages as a year)",
        (
            _null("birth_first"),
            Level("same day", _sql("birth_day_l = birth_day_r")),
            Level("same month", _sql(f"{_BIRTH_GAP} <= 0 AND {_BIRTH_SPAN} <= 30")),
            Level("same year", _sql(f"{_BIRTH_GAP} <= 0")),
            Level("within 1 year", _sql(f"{_BIRTH_GAP} <= 366")),
            Level("within 2 years", _sql(f"{_BIRTH_GAP} <= 731")),
            _else("further apart"),
        ),
    )


def _place_field() -> Field:
    return Field(
        "place",
        "counties, by the distance between their label points",
        (
            _null("place_code"),
            Level("same county", _sql("place_code_l = place_code_r")),
            Level("within 50 km", lambda: cll.DistanceInKMLevel("lat", "lng", 50)),
            Level("within 120 km", lambda: cll.DistanceInKMLevel("lat", "lng", 120)),
            _else("further"),
        ),
    )


# Found day minus missing day (each side's day is multiplied by its sign: -1 missing, +1 found).
_EVENT_GAP = "(event_day_l * side_sign_l + event_day_r * side_sign_r)"


def _event_field() -> Field:
    return Field(
        "event_date",
        "days from the disappearance to the finding",
        (
            _null("event_day"),
            Level("found within 30 days", _sql(f"{_EVENT_GAP} BETWEEN -7 AND 30")),
            Level("found within a year", _sql(f"{_EVENT_GAP} BETWEEN -7 AND 366")),
            Level("found later", _sql(f"{_EVENT_GAP} > 366")),
            _else("found before the disappearance"),
        ),
    )


def _sex_field() -> Field:
    return Field(
        "sex",
        "sex",
        (
            _null("sex"),
            Level("same", _sql("sex_l = sex_r")),
            _else("different"),
        ),
    )


def _features_field(dialect: str) -> Field:
    return Field(
        "features",
        "distinguishing marks: shared character pairs of the descriptions",
        (
            _null("feature_tokens"),
            Level("3 or more shared", lambda: cll.ArrayIntersectLevel("feature_tokens", 3)),
            Level("1 or 2 shared", _overlap("feature_tokens", dialect)),
            _else("none shared"),
        ),
    )


def comparison_fields(dialect: str = "duckdb") -> tuple[Field, ...]:
    """The compared fields in the order of explanations, for Splink's ``duckdb`` or ``spark``."""
    if dialect not in _OVERLAP:
        raise ValueError(f"no comparisons for the SQL dialect {dialect!r}")
    return (
        _name_field(dialect),
        _sex_field(),
        _birth_field(),
        _place_field(),
        _event_field(),
        _father_field(dialect),
        _mother_field(dialect),
        _features_field(dialect),
    )


FIELDS = tuple(f.name for f in comparison_fields())
